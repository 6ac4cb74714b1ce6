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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.spindle.config.ClusterProperties;
import dev.spindle.config.JobProperties;
import dev.spindle.config.NodeProperties;
import dev.spindle.config.PoolProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobDeferred;
import dev.spindle.job.JobError;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import dev.spindle.job.JobHandlers;
import dev.spindle.job.JobMetrics;
import dev.spindle.job.JobMetrics.Outcome;
import dev.spindle.job.JobWatchers;
import dev.spindle.memory.MemoryMonitor;
import dev.spindle.pool.Execution.Stop;
import dev.spindle.store.Completion;
import dev.spindle.store.JobStore;
import dev.spindle.store.NodeHeartbeat;
import dev.spindle.store.QueuedJob;
import dev.spindle.store.StoreListener;
import dev.spindle.store.StoreMigrations;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs queued jobs, one virtual thread each, at most {@code spindle.pool.concurrency} at once, in
 * priority then runAt order. A dispatcher thread claims due jobs in batches through a
 * {@link Dispatcher} and starts them; a {@link CompletionWriter} stores their outcomes in batches;
 * a heartbeat renews the leases of running jobs and reaps those of dead nodes.
 *
 * <p>Starts before the web server and stops after it: at shutdown no new job starts, running jobs
 * get {@code shutdown-grace} to finish, and the rest are interrupted and re-queued without using
 * up an attempt.
 */
@Component
public class WorkerPool implements SmartLifecycle, StoreListener {

    /** Starts before, and stops after, the web server (whose phases are DEFAULT_PHASE - 1024 and - 2048). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private static final Duration INTERRUPTED_JOBS_GRACE = Duration.ofSeconds(5);

    private static final String SHUTDOWN = "shutdown";

    /** The MDC key under which a job's log lines carry its id. */
    public static final String JOB_ID_MDC = "jobId";

    private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final JobStore store;

    private final StoreMigrations migrations;

    private final JobHandlers handlers;

    private final JobWatchers watchers;

    private final PoolProperties properties;

    private final ClusterProperties cluster;

    private final Backoff backoff;

    private final Clock clock;

    private final String node;

    private final ReadyQueue queue;

    private final Dispatcher dispatcher;

    private final Map<String, Execution> executions = new ConcurrentHashMap<>();

    private final CompletionWriter writer;

    private final ScheduledThreadPoolExecutor timeouts;

    private final ScheduledExecutorService housekeeping;

    private final ExecutorService workers = Executors
        .newThreadPerTaskExecutor(Thread.ofVirtual().name("spindle-job-", 0).factory());

    private final Thread dispatchThread;

    private final JobMetrics metrics;

    private volatile boolean running;

    /** Set once the store was ready and dispatching began; a stop before then has nothing to drain. */
    private volatile boolean started;

    private @Nullable Instant startedAt;

    private @Nullable AutoCloseable subscription;

    WorkerPool(JobStore store, StoreMigrations migrations, JobHandlers handlers, JobWatchers watchers, PoolProperties properties,
            ClusterProperties cluster, JobProperties jobProperties, NodeProperties nodeProperties, JobMetrics metrics,
            MeterRegistry meters, MemoryMonitor memory, Clock clock) {
        this.store = store;
        this.migrations = migrations;
        this.handlers = handlers;
        this.watchers = watchers;
        this.properties = properties;
        this.cluster = cluster;
        this.backoff = Backoff.of(jobProperties);
        this.clock = clock;
        this.node = nodeProperties.resolvedNodeId();
        this.queue = new ReadyQueue(clock, properties.concurrency(), properties.maxQueued());
        this.dispatcher = store.shared()
                ? new SharedDispatcher(store, queue, clock, node, cluster.leaseTtl(), cluster.pollInterval(),
                        properties.claimBatch(), properties.maxQueued(), memory::shedding)
                : new LocalDispatcher(store, queue, clock, node, cluster.leaseTtl(), properties.claimBatch());
        this.writer = new CompletionWriter(store, this::afterWrite);
        this.timeouts = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("spindle-timeouts").daemon().factory());
        this.timeouts.setRemoveOnCancelPolicy(true);
        this.housekeeping = Executors
            .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-heartbeat").daemon().factory());
        this.dispatchThread = Thread.ofPlatform().name("spindle-dispatcher").daemon().unstarted(this::dispatchLoop);
        this.metrics = metrics;
        Gauge.builder("spindle.pool.running", queue, ReadyQueue::running).description("Jobs running on this node")
            .register(meters);
        Gauge.builder("spindle.pool.queued", dispatcher, Dispatcher::queued)
            .description("Jobs queued (ready and delayed; with PostgreSQL an estimate between heartbeats)")
            .register(meters);
        Gauge.builder("spindle.pool.concurrency", properties, PoolProperties::concurrency)
            .description("Jobs that may run at once on this node").register(meters);
    }

    // --- admission and queueing, used by JobService -------------------------------------------

    /** Reserves backlog room for {@code n} jobs about to be stored; false when the backlog is full. */
    public boolean tryReserve(int n) {
        return dispatcher.tryReserve(n);
    }

    /** Returns reserved room that was not used (the insert failed or found existing jobs). */
    public void cancelReservation(int n) {
        dispatcher.cancelReservation(n);
    }

    /** Hands stored QUEUED jobs to the dispatcher, using up {@code reserved} reserved places. */
    public void enqueue(List<QueuedJob> jobs, int reserved) {
        dispatcher.enqueued(jobs, reserved);
    }

    /** Forgets a queued job that was cancelled in the store. */
    public void dequeue(String id) {
        dispatcher.dequeued(id);
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
        return new PoolStats(node, properties.concurrency(), queue.running(), dispatcher.queued(),
                properties.maxQueued());
    }

    public String node() {
        return node;
    }

    // --- events from other nodes --------------------------------------------------------------

    @Override
    public void jobsAvailable() {
        dispatcher.wake();
    }

    @Override
    public void cancelRequested(String id) {
        cancelRunning(id);
    }

    // --- lifecycle ----------------------------------------------------------------------------

    @Override
    public void start() {
        running = true;
        // the first start waits for the schema; while the database is unreachable the pool is idle
        migrations.ready().thenRun(this::startNow);
    }

    /**
     * False only when the dispatcher thread has ended while the pool runs: before the store is
     * ready, and after a stop, there is nothing to be alive for.
     */
    public boolean dispatcherAlive() {
        return !running || !started || dispatchThread.isAlive();
    }

    /** Whether the pool has loaded its jobs and dispatches: the store was reachable and current. */
    public boolean isStarted() {
        return started;
    }

    private synchronized void startNow() {
        if (started) {
            log.warn("The worker pool was stopped and cannot start again; restart the application");
            return;
        }
        if (!running) {
            return;
        }
        startedAt = clock.instant();
        if (dispatcher instanceof LocalDispatcher local) {
            local.load();
        }
        heartbeat();
        subscription = store.subscribe(this);
        writer.start();
        dispatchThread.start();
        started = true;
        long interval = cluster.heartbeatInterval().toMillis();
        housekeeping.scheduleWithFixedDelay(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
        log.info("Worker pool started on node '{}' ({} store): concurrency {}, {} jobs queued", node,
                store.shared() ? "shared" : "single-node", properties.concurrency(), dispatcher.queued());
    }

    @Override
    public synchronized void stop() {
        // A pending interrupt of the stopping thread must neither cut the drain short nor reach
        // the store (an interrupted JDBC call can close an embedded database's file): clear it,
        // wait without it, and restore it at the end.
        boolean interrupted = Thread.interrupted();
        try {
            drainAndStop();
        }
        catch (Exception ex) {
            log.warn("Worker pool did not stop cleanly: {}", ex.toString());
        }
        finally {
            timeouts.shutdownNow();
            workers.shutdown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void drainAndStop() throws Exception {
        running = false;
        queue.close();
        if (!started) {
            housekeeping.shutdownNow();
            return;
        }
        Uninterruptibly.join(dispatchThread);
        if (!Uninterruptibly.await(queue::awaitIdle, properties.shutdownGrace())) {
            log.info("Interrupting {} jobs still running after the shutdown grace of {}; they are re-queued",
                    executions.size(), properties.shutdownGrace());
            executions.values().forEach(execution -> execution.stop(Stop.SHUTDOWN));
            if (!Uninterruptibly.await(queue::awaitIdle, INTERRUPTED_JOBS_GRACE)) {
                log.warn("{} jobs ignored their interrupt; they stay RUNNING until their lease runs out",
                        queue.running());
            }
        }
        Uninterruptibly.run(writer::stop);
        housekeeping.shutdown();
        Uninterruptibly.await(timeout -> housekeeping.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS),
                Duration.ofSeconds(10));
        if (subscription != null) {
            subscription.close();
        }
        store.leave(node);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * Not paused with its context (as Spring's test context cache pauses contexts not in use): a
     * stopped pool has drained and released its threads, and does not start again.
     */
    @Override
    public boolean isPauseable() {
        return false;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    // --- heartbeat ----------------------------------------------------------------------------

    /** Renews this node's leases, cancels what other nodes asked to, reaps dead nodes' jobs. */
    private void heartbeat() {
        try {
            Instant now = clock.instant();
            List<String> cancels = store.heartbeat(new NodeHeartbeat(node, startedAt == null ? now : startedAt, now,
                    now.plus(cluster.leaseTtl()), properties.concurrency()));
            cancels.forEach(this::cancelRunning);
            int reaped = store.reapExpired(now);
            if (reaped > 0) {
                log.warn("Reaped {} jobs whose node stopped renewing their leases; they run again "
                        + "(at-least-once delivery) or fail if out of attempts", reaped);
            }
            dispatcher.refresh();
        }
        catch (RuntimeException ex) {
            log.warn("Heartbeat failed, retrying in {}: {}", cluster.heartbeatInterval(), ex.toString());
        }
    }

    // --- dispatch -----------------------------------------------------------------------------

    private void dispatchLoop() {
        while (running) {
            try {
                dispatcher.next().forEach(this::start);
            }
            catch (InterruptedException ex) {
                // only a stop ends the loop
            }
            catch (RuntimeException ex) {
                log.error("Dispatching failed; retrying in {}", Dispatcher.STORE_RETRY_DELAY, ex);
                Dispatcher.pause(Dispatcher.STORE_RETRY_DELAY);
            }
        }
    }

    private void start(Job job) {
        Execution execution = new Execution(job.id());
        Instant claimed = job.startedAt() == null ? clock.instant() : job.startedAt();
        metrics.waited(job.type(), Duration.between(job.runAt(), claimed));
        Instant deadline = clock.instant().plus(job.timeout());
        long[] lastProgress = { 0 };
        execution.claimed(job, deadline, fraction -> {
            long now = System.nanoTime();
            if (fraction >= 1.0 || now - lastProgress[0] >= PROGRESS_INTERVAL_NANOS) {
                lastProgress[0] = now;
                writer.progress(job.id(), job.fencingToken(), fraction);
            }
        });
        executions.put(job.id(), execution);
        workers.execute(() -> run(execution, job));
    }

    private void run(Execution execution, Job job) {
        ScheduledFuture<?> timeout = timeouts.schedule(() -> execution.stop(Stop.TIMED_OUT),
                job.timeout().toNanos(), TimeUnit.NANOSECONDS);
        JsonNode result = null;
        Throwable failure = null;
        long began = System.nanoTime();
        boolean ran = false;
        // everything the job logs on its thread carries its id (structured logs show the MDC)
        MDC.put(JOB_ID_MDC, job.id());
        try {
            if (execution.begin(Thread.currentThread())) {
                ran = true;
                result = handle(execution, job);
            }
        }
        catch (Throwable ex) {
            failure = ex;
        }
        finally {
            timeout.cancel(false);
            if (ran) {
                metrics.ran(job.type(), System.nanoTime() - began);
            }
            MDC.remove(JOB_ID_MDC);
        }
        boolean ownOutcome = execution.stop(Stop.COMPLETED);
        Thread.interrupted();
        Stop reason = execution.stopReason();
        Completion completion = ownOutcome || reason == null ? outcome(job, result, failure) : stopped(job, reason);
        // the slot is given back once the outcome is stored (afterWrite), so a node never holds
        // more RUNNING jobs in the store than its concurrency, and a crash re-runs at most that many
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
            return Completion.succeeded(job.id(), job.fencingToken(), result, now);
        }
        if (failure instanceof JobDeferred deferred) {
            return Completion.deferred(job.id(), job.fencingToken(),
                    new JobError(deferred.code(), String.valueOf(deferred.getMessage())), now, now.plus(deferred.delay()));
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
            case CANCELLED -> Completion.cancelled(job.id(), job.fencingToken(),
                    new JobError(JobError.CANCELLED, "Cancelled while running"), now);
            case TIMED_OUT -> timedOut(job, now);
            case SHUTDOWN -> Completion.interrupted(job.id(), job.fencingToken(),
                    new JobError(SHUTDOWN, "Interrupted by a shutdown; runs again at the next start"), now);
            case COMPLETED -> throw new IllegalStateException("a completed attempt has its own outcome");
        };
    }

    private Completion timedOut(Job job, Instant now) {
        metrics.timedOut(job.type());
        return failedAttempt(job,
                new JobError(JobError.TIMEOUT, "Attempt " + job.attempt() + " ran past its timeout of " + job.timeout()),
                true, now);
    }

    private Completion failedAttempt(Job job, JobError error, boolean retryable, Instant now) {
        if (retryable && job.attempt() < job.maxAttempts()) {
            return Completion.retry(job.id(), job.fencingToken(), error, now, now.plus(backoff.after(job.attempt())));
        }
        return Completion.failed(job.id(), job.fencingToken(), error, now);
    }

    private static Outcome outcome(Completion completion) {
        return switch (completion.state()) {
            case SUCCEEDED -> Outcome.SUCCEEDED;
            case FAILED -> Outcome.FAILED;
            case CANCELLED -> Outcome.CANCELLED;
            case QUEUED, RUNNING -> !completion.refundAttempt() ? Outcome.RETRIED
                    : completion.error() != null && completion.error().code().equals(SHUTDOWN) ? Outcome.INTERRUPTED
                    : Outcome.DEFERRED;
        };
    }

    /** Runs on the writer thread once completions are stored. */
    private void afterWrite(List<Completion> completions) {
        queue.release(completions.size());
        List<String> finished = new ArrayList<>(completions.size());
        List<QueuedJob> requeued = new ArrayList<>();
        for (Completion completion : completions) {
            Execution execution = executions.remove(completion.id());
            if (execution != null) {
                metrics.completed(execution.job().type(), outcome(completion));
            }
            if (completion.state().isTerminal()) {
                finished.add(completion.id());
            }
            else if (running && execution != null && completion.runAt() != null) {
                requeued.add(new QueuedJob(completion.id(), execution.job().priority(), completion.runAt()));
            }
        }
        if (!requeued.isEmpty()) {
            dispatcher.requeued(requeued);
        }
        watchers.finished(finished);
    }
}
