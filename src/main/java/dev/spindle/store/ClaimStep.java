package dev.spindle.store;

import java.time.Instant;
import java.util.List;

/**
 * The step of a claim that picks which QUEUED jobs go next: a subquery of job ids that the claim
 * moves to RUNNING. Queue and key limits, fairness and workflow release plug in here, so that a
 * job over a limit is never claimed (no claim-then-defer).
 */
interface ClaimStep {

    /** The ids to claim, as SQL with its parameters. */
    record Candidates(String sql, List<Object> params) {
    }

    Candidates candidates(int max, Instant now);

    /**
     * Due jobs in dispatch order (priority, runAt, id), walked on the partial index {@code jobs_ready}
     * (a query-plan test holds both databases to that); on PostgreSQL rows other nodes are claiming
     * are skipped.
     */
    static ClaimStep inDispatchOrder(Dialect dialect) {
        String sql = """
                SELECT id FROM %s WHERE state = 'QUEUED' AND run_at <= ?
                ORDER BY priority DESC, run_at, id LIMIT ?""".formatted(dialect.claimSource()) + dialect.skipLocked();
        return (max, now) -> new Candidates(sql, List.of(dialect.instant(now), max));
    }
}
