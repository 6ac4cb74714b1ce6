package dev.spindle.pool;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.DoubleConsumer;

import dev.spindle.job.Job;
import dev.spindle.job.JobContext;
import dev.spindle.job.JobOutput;
import dev.spindle.output.JobStreams;
import dev.spindle.job.JobRequest;
import dev.spindle.job.WorkflowAccess;
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

    private volatile @Nullable WorkflowAccess workflow;

    private volatile JobStreams.@Nullable Attempt streams;

    /** The number of the next child this attempt adds. */
    private final AtomicInteger nextChild = new AtomicInteger();

    Execution(String id) {
        this.id = id;
    }

    /** Called once the job is claimed: the attempt may now run. */
    void claimed(Job job, Instant deadline, DoubleConsumer progressSink, @Nullable WorkflowAccess workflow,
            JobStreams.Attempt streams) {
        this.streams = streams;
        this.job = job;
        this.deadline = deadline;
        this.progressSink = progressSink;
        this.workflow = workflow;
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

    @Override
    public JobOutput output() {
        return streams().output();
    }

    /** Drops the attempt's streams, if it had any: it never ran. */
    void abandonStreams() {
        JobStreams.Attempt attempt = streams;
        if (attempt != null) {
            attempt.abandon();
        }
    }

    JobStreams.Attempt streams() {
        JobStreams.Attempt attempt = streams;
        if (attempt == null) {
            throw new IllegalStateException("Job " + id + " has not been claimed");
        }
        return attempt;
    }

    @Override
    public @Nullable String workflowId() {
        return job().workflowId();
    }

    @Override
    public @Nullable String stepId() {
        return job().stepId();
    }

    @Override
    public Map<String, JsonNode> dependencyResults() {
        Job step = job();
        WorkflowAccess access = workflow;
        return step.stepId() == null || access == null ? Map.of() : access.dependencyResults(step);
    }

    @Override
    public List<JsonNode> childResults(String stepId) {
        Job step = job();
        WorkflowAccess access = workflow;
        return step.stepId() == null || access == null ? List.of() : access.childResults(step, stepId);
    }

    @Override
    public int addChildren(List<JobRequest> children) {
        Job step = job();
        WorkflowAccess access = workflow;
        if (step.stepId() == null || access == null) {
            throw new IllegalStateException("Job " + id + " is not a workflow step: only a step can add children");
        }
        if (children.isEmpty()) {
            return 0;
        }
        // numbered in the order of the calls; a failed call's numbers are not used again
        int from = nextChild.getAndAdd(children.size());
        return access.addChildren(step, from, children);
    }
}
