package dev.spindle.store;

import java.time.Instant;
import java.util.List;

import dev.spindle.queue.QueueCounts;

/** What the store keeps of queues beyond their jobs: whether each is paused, seen by every node. */
public interface QueueStore {

    /**
     * Pauses or resumes a queue for every node: from the next claim on, no node takes a job of a
     * paused queue (the running ones go on). Resuming tells the other nodes' dispatchers.
     */
    void pauseQueue(String name, boolean paused, Instant now);

    /**
     * Every queue that has jobs QUEUED, RUNNING or WAITING, is paused, or is named in
     * {@code configured}, by name, with its counts. Read from the partial indexes of those states:
     * the cost grows with the jobs not yet ended, not with the store.
     */
    List<QueueCounts> queueCounts(java.util.Collection<String> configured, Instant now);
}
