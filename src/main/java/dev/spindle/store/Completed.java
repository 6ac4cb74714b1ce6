package dev.spindle.store;

import java.util.List;

/**
 * What a completion write did: the completions that changed their job, as stored, and the jobs the
 * claim that rode along with it took (in dispatch order; empty without a claim).
 */
public record Completed(List<Completion> applied, Claimed claimed) {
}
