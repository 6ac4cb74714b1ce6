package dev.spindle.store;

import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * The step of a claim that picks which QUEUED jobs go next, inside the claim's transaction: it
 * chooses ids (as a subquery) and hands them to {@code take}, which moves them to RUNNING and
 * returns the rows it moved, perhaps more than once per claim. Queue and key limits, fairness and
 * paused queues are applied here, so that a job over a limit is never claimed (no
 * claim-then-defer).
 */
interface ClaimStep {

    /** The ids to claim, as SQL with its parameters. */
    record Candidates(String sql, List<Object> params) {
    }

    /** A claimed row's lane: its queue and concurrency key ({@code ""} for none). */
    record Lane(String queue, String key) {
    }

    /**
     * What a claim took, and whether more may be claimable now or once running jobs of a limited
     * queue end: true when it filled every slot, when a lane gave all that was asked of it, or when a
     * limit held due jobs back. False means nothing more is due.
     */
    record Taken<R>(List<R> rows, boolean more) {
    }

    /**
     * Claims up to {@code max} jobs due at {@code now} for {@code instance}.
     *
     * @param take runs the claim's update on the candidates and returns the rows it claimed
     * @param laneOf a claimed row's lane
     */
    <R> Taken<R> claim(int max, Instant now, String instance, Function<Candidates, List<R>> take,
            Function<R, Lane> laneOf);
}
