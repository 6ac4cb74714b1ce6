package dev.spindle.store;

import java.util.List;

import dev.spindle.job.Job;

/**
 * What a claim took, in dispatch order, and whether more may be claimable: true when it filled every
 * slot, when a lane had more than its turn gave it, or when a queue's limits held due jobs back
 * (they may start once running jobs of that queue end). False means nothing more is due now.
 */
public record Claimed(List<Job> jobs, boolean more) {

    public static final Claimed NOTHING = new Claimed(List.of(), false);
}
