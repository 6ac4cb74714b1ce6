package dev.spindle.pool;

/** A snapshot of this node's worker pool. */
public record PoolStats(String node, int concurrency, int running, long queued, int maxQueued) {
}
