package dev.spindle.pool;

/** A snapshot of this node's worker pool. */
public record PoolStats(String node, int concurrency, int running, int queued, int maxQueued) {
}
