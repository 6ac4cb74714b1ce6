package dev.spindle.pool;

import java.time.Duration;
import java.util.List;

import dev.spindle.job.Job;
import dev.spindle.store.QueuedJob;

/**
 * Where the worker pool's jobs come from, and the backlog admission in front of it: a
 * {@link LocalDispatcher} for a store one node owns, a {@link SharedDispatcher} for a store many
 * nodes share.
 */
interface Dispatcher {

    Duration STORE_RETRY_DELAY = Duration.ofSeconds(1);

    /**
     * Waits for a free run slot and a due job, and claims up to the claim batch of due jobs, one
     * slot each, in dispatch order. Returns an empty list once the slots are closed.
     */
    List<Job> next() throws InterruptedException;

    /** Reserves backlog room for jobs about to be stored; false when the backlog is full. */
    boolean tryReserve(int n);

    void cancelReservation(int n);

    /** Stored QUEUED jobs, using up {@code reserved} reserved places. */
    void enqueued(List<QueuedJob> jobs, int reserved);

    /** A queued job was cancelled. */
    void dequeued(String id);

    /** Jobs went back to QUEUED after a failed attempt. */
    void requeued(List<QueuedJob> jobs);

    /** Jobs may be available that this node was not told of (another node submitted them). */
    void wake();

    /** Periodic housekeeping, on the heartbeat. */
    void refresh();

    /** Queued jobs as far as this node knows. */
    long queued();

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
