package dev.spindle.queue;

/**
 * A queue's jobs as the store holds them now, on every node.
 *
 * @param queued jobs QUEUED, due or delayed
 * @param due QUEUED jobs whose start time has come
 * @param running jobs RUNNING
 * @param waiting workflow steps WAITING for their dependencies
 * @param heldBack due jobs the queue's limits hold back now (its queue-wide limit is reached, or
 *        their concurrency key's)
 * @param paused whether claims take none of its jobs
 */
public record QueueCounts(String name, long queued, long due, long running, long waiting, long heldBack,
        boolean paused) {
}
