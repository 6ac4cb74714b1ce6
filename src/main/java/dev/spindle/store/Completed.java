package dev.spindle.store;

import java.util.List;

import dev.spindle.job.Job;

/**
 * What a completion write did: the completions that changed their job, as stored, and the jobs the
 * claim that rode along with it took (in dispatch order; empty without a claim).
 */
public record Completed(List<Completion> applied, List<Job> claimed) {
}
