package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.spindle.config.JobProperties;
import dev.spindle.config.NodeProperties;
import dev.spindle.config.PoolProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobError;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import dev.spindle.job.JobHandlers;
import dev.spindle.job.JobWatchers;
import dev.spindle.pool.Execution.Stop;
import dev.spindle.store.Completion;
import dev.spindle.store.JobStore;
import dev.spindle.store.QueuedJob;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs queued jobs, one virtual thread each, at most {@code spindle.pool.concurrency} at once, in
 * priority then runAt order. A dispatcher thread takes due jobs from the {@link ReadyQueue},
 * claims them in the store in one transaction per batch and starts them; a
 * {@link CompletionWriter} stores their outcomes in batches.
 *
 * <p>Starts before the web server and stops after it: at shutdown no new job starts, running jobs
 * get {@code shutdown-grace} to finish, and the rest are interrupted and re-queued without using
 * up an attempt.
 */
@Component
public class WorkerPool implements SmartLifecycle {

    /** Starts before, and stops after, the web server (whose phases are DEFAULT_PHASE - 1024 and - 2048). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private static final Duration STORE_RETRY_DELAY = Duration.ofSeconds(1);

    private static final Duration INTERRUPTED_JOBS_GRACE = Duration.ofSeconds(5);

    private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final JobStore store;

    private final JobHandlers handlers;

    private final JobWatchers watchers;

    private final PoolProperties properties;

    private final Backoff backoff;

    private final Clock clock;

    private final String node;

    private final ReadyQueue queue;

    private final Map<String, Execution> executions = new ConcurrentHashMap<>();

    private final CompletionWriter writer;

    private final ScheduledThreadPoolExecutor timeouts;

    private final ExecutorService workers = Executors
        .newThreadPerTaskExecutor(Thread.ofVirtual().name("spindle-job-", 0).factory());

    private final Thread dispatcher;

    private volatile boolean running;

    WorkerPool(JobStore store, JobHandlers handlers, JobWatchers watchers, PoolProperties properties,
            JobProperties jobProperties, NodeProperties nodeProperties, Clock clock) {
        this.store = store;
        this.handlers = handlers;
        this.watchers = watchers;
        this.properties = properties;
        this.backoff = Backoff.of(jobProperties);
        this.clock = clock;
        this.node = nodeProperties.resolvedNodeId();
        this.queue = new ReadyQueue(clock, properties.concurrency(), properties.maxQueued());
        this.writer = new CompletionWriter(store, this::afterWrite);
        this.timeouts = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("spindle-timeouts").daemon().factory());
        this.timeouts.setRemoveOnCancelPolicy(true);
        this.dispatcher = Thread.ofPlatform().name("spindle-dispatcher").daemon().unstarted(this::dispatchLoop);
    }

    // --- admission and queueing, used by JobService -------------------------------------------

    /** Reserves backlog room for {@code n} jobs about to be stored; false when the backlog is full. */
    public boolean tryReserve(int n) {
        return queue.tryReserve(n);
    }

    /** Returns reserved room that was not used (the insert failed or found existing jobs). */
    public void cancelReservation(int n) {
        queue.cancelReservation(n);
    }

    /** Hands stored QUEUED jobs to the dispatcher, using up {@code reserved} reserved places. */
    public void enqueue(List<QueuedJob> jobs, int reserved) {
        queue.add(jobs, reserved);
    }

    /** Forgets a queued job that was cancelled in the store. */
    public void dequeue(String id) {
        queue.remove(id);
    }

    /** What a cancel of a job not QUEUED in the store found on this node. */
    public enum CancelOutcome {
        /** Its handler is being interrupted; it will end CANCELLED. */
        CANCELLING,
        /** Its attempt already ended; the outcome is being stored. */
        FINISHING,
        /** It is not running here. */
        NOT_RUNNING
    }

    public CancelOutcome cancelRunning(String id) {
        Execution execution = executions.get(id);
        if (execution == null) {
            return CancelOutcome.NOT_RUNNING;
        }
        return execution.stop(Stop.CANCELLED) ? CancelOutcome.CANCELLING : CancelOutcome.FINISHING;
    }

    public PoolStats stats() {
        return new PoolStats(node, properties.concurrency(), queue.running(), queue.size(), properties.maxQueued());
    }

    public String node() {
        return node;
    }

    // --- lifecycle ----------------------------------------------------------------------------

    @Override
    public void start() {
        Instant now = clock.instant();
        int recovered = store.recoverRunning(now);
        if (recovered > 0) {
            log.warn("Recovered {} jobs left RUNNING by a previous process that stopped without finishing them; "
                    + "they run again (at-least-once delivery) or fail if out of attempts", recovered);
        }
        List<QueuedJob> queued = store.queued();
        queue.add(queued, 0);
        writer.start();
        running = true;
        dispatcher.start();
        log.info("Worker pool started on node '{}': concurrency {}, {} jobs queued", node, properties.concurrency(),
                queued.size());
    }

    @Override
    public void stop() {
        running = false;
        queue.close();
        try {
            dispatcher.join();
            if (!queue.awaitIdle(properties.shutdownGrace())) {
                log.info("Interrupting {} jobs still running after the shutdown grace of {}; they are re-queued",
                        executions.size(), properties.shutdownGrace());
                executions.values().forEach(execution -> execution.stop(Stop.SHUTDOWN));
                if (!queue.awaitIdle(INTERRUPTED_JOBS_GRACE)) {
                    log.warn("{} jobs ignored their interrupt; they stay RUNNING and are recovered at the next start",
                            queue.running());
                }
            }
            writer.stop();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        timeouts.shutdownNow();
        workers.shutdown();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    // --- dispatch -----------------------------------------------------------------------------

    private void dispatchLoop() {
        while (running) {
            List<QueuedJob> batch;
            try {
                batch = queue.take(properties.claimBatch());
            }
            catch (InterruptedException ex) {
                continue;
            }
            if (!batch.isEmpty()) {
                claimAndStart(batch);
            }
        }
    }

    private void claimAndStart(List<QueuedJob> batch) {
        List<String> ids = new ArrayList<>(batch.size());
        for (QueuedJob job : batch) {
            ids.add(job.id());
            // registered before the claim, so that a cancel racing the claim finds the attempt
            executions.put(job.id(), new Execution(job.id()));
        }
        List<Job> claimed;
        try {
            claimed = store.claim(ids, node, clock.instant());
        }
        catch (RuntimeException ex) {
            log.warn("Could not claim {} jobs, retrying in {}: {}", batch.size(), STORE_RETRY_DELAY, ex.toString());
            ids.forEach(executions::remove);
            queue.add(batch, 0);
            queue.release(batch.size());
            pause(STORE_RETRY_DELAY);
            return;
        }
        Map<String, Job> byId = new java.util.HashMap<>();
        claimed.forEach(job -> byId.put(job.id(), job));
        int unclaimed = 0;
        for (String id : ids) {
            Job job = byId.get(id);
            Execution execution = job == null ? executions.remove(id) : executions.get(id);
            if (job == null || execution == null) {
                unclaimed++;
                continue;
            }
            start(execution, job);
        }
        if (unclaimed > 0) {
            queue.release(unclaimed);
        }
    }

    private void start(Execution execution, Job job) {
        Instant deadline = clock.instant().plus(job.timeout());
        long[] lastProgress = { 0 };
        execution.claimed(job, deadline, fraction -> {
            long now = System.nanoTime();
            if (fraction >= 1.0 || now - lastProgress[0] >= PROGRESS_INTERVAL_NANOS) {
                lastProgress[0] = now;
                writer.progress(job.id(), fraction);
            }
        });
        workers.execute(() -> run(execution, job));
    }

    private void run(Execution execution, Job job) {
        ScheduledFuture<?> timeout = timeouts.schedule(() -> execution.stop(Stop.TIMED_OUT),
                job.timeout().toNanos(), TimeUnit.NANOSECONDS);
        JsonNode result = null;
        Throwable failure = null;
        try {
            if (execution.begin(Thread.currentThread())) {
                result = handle(execution, job);
            }
        }
        catch (Throwable ex) {
            failure = ex;
        }
        finally {
            timeout.cancel(false);
        }
        boolean ownOutcome = execution.stop(Stop.COMPLETED);
        Thread.interrupted();
        Stop reason = execution.stopReason();
        Completion completion = ownOutcome || reason == null ? outcome(job, result, failure) : stopped(job, reason);
        queue.release(1);
        writer.complete(completion);
    }

    private JsonNode handle(Execution execution, Job job) throws Exception {
        JobHandler handler = handlers.find(job.type())
            .orElseThrow(() -> JobFailure.permanent("unknown_type", "No handler is registered for type '" + job.type() + "'"));
        JsonNode result = handler.handle(execution);
        return result == null ? NullNode.getInstance() : result;
    }

    private Completion outcome(Job job, @Nullable JsonNode result, @Nullable Throwable failure) {
        Instant now = clock.instant();
        if (failure == null) {
            return Completion.succeeded(job.id(), result, now);
        }
        if (failure instanceof JobFailure jobFailure) {
            return failedAttempt(job, new JobError(jobFailure.code(), String.valueOf(jobFailure.getMessage())),
                    jobFailure.retryable(), now);
        }
        log.debug("Job {} attempt {} failed", job.id(), job.attempt(), failure);
        return failedAttempt(job, new JobError(JobError.HANDLER_ERROR, failure.toString()), true, now);
    }

    private Completion stopped(Job job, Stop reason) {
        Instant now = clock.instant();
        return switch (reason) {
            case CANCELLED -> Completion.cancelled(job.id(), new JobError(JobError.CANCELLED, "Cancelled while running"), now);
            case TIMED_OUT -> failedAttempt(job,
                    new JobError(JobError.TIMEOUT, "Attempt " + job.attempt() + " ran past its timeout of " + job.timeout()),
                    true, now);
            case SHUTDOWN -> Completion.interrupted(job.id(),
                    new JobError("shutdown", "Interrupted by a shutdown; runs again at the next start"), now);
            case COMPLETED -> throw new IllegalStateException("a completed attempt has its own outcome");
        };
    }

    private Completion failedAttempt(Job job, JobError error, boolean retryable, Instant now) {
        if (retryable && job.attempt() < job.maxAttempts()) {
            return Completion.retry(job.id(), error, now, now.plus(backoff.after(job.attempt())));
        }
        return Completion.failed(job.id(), error, now);
    }

    /** Runs on the writer thread once completions are stored. */
    private void afterWrite(List<Completion> completions) {
        List<String> finished = new ArrayList<>(completions.size());
        List<QueuedJob> requeued = new ArrayList<>();
        for (Completion completion : completions) {
            Execution execution = executions.remove(completion.id());
            if (completion.state().isTerminal()) {
                finished.add(completion.id());
            }
            else if (running && execution != null && completion.runAt() != null) {
                requeued.add(new QueuedJob(completion.id(), execution.job().priority(), completion.runAt()));
            }
        }
        if (!requeued.isEmpty()) {
            queue.add(requeued, 0);
        }
        watchers.finished(finished);
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
