package dev.spindle.pool;

/** A snapshot of this node's worker pool; {@code instance} is this process start. */
public record PoolStats(String node, String instance, int concurrency, int running, long queued, int maxQueued) {
}
