package dev.spindle.pool;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleConsumer;

import dev.spindle.job.Job;
import dev.spindle.job.JobContext;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One attempt of a job on this node, from the moment the dispatcher takes it until its completion
 * is stored. Whoever first sets {@link #stop} decides how the attempt ends: the handler by
 * returning or throwing ({@link Stop#COMPLETED}), or a cancel, a timeout or a shutdown, which also
 * interrupt the handler's thread.
 */
final class Execution implements JobContext {

    enum Stop { COMPLETED, CANCELLED, TIMED_OUT, SHUTDOWN }

    private final String id;

    private final AtomicReference<@Nullable Stop> stop = new AtomicReference<>();

    private volatile @Nullable Thread thread;

    private volatile @Nullable Job job;

    private volatile @Nullable Instant deadline;

    private volatile DoubleConsumer progressSink = fraction -> { };

    Execution(String id) {
        this.id = id;
    }

    /** Called once the job is claimed: the attempt may now run. */
    void claimed(Job job, Instant deadline, DoubleConsumer progressSink) {
        this.job = job;
        this.deadline = deadline;
        this.progressSink = progressSink;
    }

    Job job() {
        Job claimed = job;
        if (claimed == null) {
            throw new IllegalStateException("Job " + id + " has not been claimed");
        }
        return claimed;
    }

    /** Binds the running thread; returns false when the attempt was stopped before it began. */
    boolean begin(Thread current) {
        thread = current;
        return stop.get() == null;
    }

    /**
     * Asks the attempt to end for {@code reason}, interrupting its handler.
     *
     * @return true when this call decided the outcome; false when it had already been decided
     */
    boolean stop(Stop reason) {
        if (!stop.compareAndSet(null, reason)) {
            return false;
        }
        Thread running = thread;
        if (running != null && reason != Stop.COMPLETED) {
            running.interrupt();
        }
        return true;
    }

    /** The reason the attempt ended, once decided. */
    @Nullable Stop stopReason() {
        return stop.get();
    }

    @Override
    public String jobId() {
        return id;
    }

    @Override
    public JsonNode payload() {
        return job().payload();
    }

    @Override
    public @Nullable String idempotencyKey() {
        return job().idempotencyKey();
    }

    @Override
    public int attempt() {
        return job().attempt();
    }

    @Override
    public long fencingToken() {
        return job().fencingToken();
    }

    @Override
    public Instant deadline() {
        Instant at = deadline;
        if (at == null) {
            throw new IllegalStateException("Job " + id + " has not been claimed");
        }
        return at;
    }

    @Override
    public void progress(double fraction) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("progress must be between 0 and 1, was " + fraction);
        }
        progressSink.accept(fraction);
    }
}
