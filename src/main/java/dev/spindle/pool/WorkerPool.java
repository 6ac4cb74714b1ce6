package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.uuid.Generators;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.spindle.config.ClusterProperties;
import dev.spindle.config.JobProperties;
import dev.spindle.config.NodeProperties;
import dev.spindle.config.PoolProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobDeferred;
import dev.spindle.job.JobError;
import dev.spindle.job.JobContext;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import dev.spindle.job.JobHandlers;
import dev.spindle.job.JobMetrics;
import dev.spindle.job.JobMetrics.Outcome;
import dev.spindle.job.JobWatchers;
import dev.spindle.job.WorkflowAccess;
import dev.spindle.memory.MemoryMonitor;
import dev.spindle.output.JobStreams;
import dev.spindle.memory.OutOfMemoryExit;
import dev.spindle.pool.Execution.Stop;
import dev.spindle.store.Claim;
import dev.spindle.store.Claimed;
import dev.spindle.store.Completion;
import dev.spindle.store.JobStore;
import dev.spindle.store.Lease;
import dev.spindle.store.Settled;
import dev.spindle.store.StoreListener;
import dev.spindle.store.StoreMigrations;
import dev.spindle.store.TooManyStepsException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Runs queued jobs, one virtual thread each, at most {@code spindle.pool.concurrency} at once, in
 * priority then runAt order. One dispatch loop, the same for both stores, claims due jobs in
 * batches through the {@link Dispatcher} and starts them; a {@link CompletionWriter} stores their
 * outcomes in batches; housekeeping tasks renew this process's leases ({@link LeaseRenewal}) and
 * reap those of dead processes ({@link Reaper}).
 *
 * <p>Each process start is an instance of its own (a UUIDv7) that owns its leases; the node name
 * is only a label. So a process restarted under its old name never renews what its dead
 * predecessor ran: on a store one process owns those jobs are recovered at once at start, on a
 * shared store within one lease TTL.
 *
 * <p>Starts before the web server and stops after it: at shutdown no new job starts, running jobs
 * get {@code shutdown-grace} to finish, and the rest are interrupted and re-queued without using
 * up an attempt. The stop ends within the grace plus {@link #STOP_MARGIN}, whatever the store does.
 */
@Component
public class WorkerPool implements SmartLifecycle, StoreListener {

    /** Starts before, and stops after, the web server (whose phases are DEFAULT_PHASE - 1024 and - 2048). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    /** How much longer than the shutdown grace a stop may take: interrupted jobs, last writes, leaving. */
    public static final Duration STOP_MARGIN = Duration.ofSeconds(6);

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

    private static final Duration INTERRUPTED_JOBS_GRACE = Duration.ofSeconds(2);

    private static final Duration RECENT_CANCELS_KEPT = Duration.ofSeconds(30);

    private static final String SHUTDOWN = "shutdown";

    private static final String INTERNAL_ERROR = JobError.INTERNAL_ERROR;


    private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final JobStore store;

    private final StoreMigrations migrations;

    private final JobHandlers handlers;

    private final JobWatchers watchers;

    private final PoolProperties properties;

    private final ClusterProperties cluster;

    private final Backoff backoff;

    private final Clock clock;

    private final NodeIdentity identity;

    private final Slots slots;

    private final Dispatcher dispatcher;

    private final StoreOutage outage = new StoreOutage();

    private final Map<String, Execution> executions = new ConcurrentHashMap<>();

    /** Cancels asked here lately, by job id, with when: see {@link #interrupt}. */
    private final Cache<String, Instant> recentCancels = Caffeine.newBuilder()
        .expireAfterWrite(RECENT_CANCELS_KEPT)
        .maximumSize(100_000)
        .build();

    private final CompletionWriter writer;

    private final ScheduledThreadPoolExecutor timeouts;

    private final ScheduledExecutorService housekeeping;

    private final ExecutorService workers = Executors
        .newThreadPerTaskExecutor(Thread.ofVirtual().name("spindle-job-", 0).factory());

    private final Thread dispatchThread;

    private volatile @Nullable Throwable dispatcherDeath;

    /** Why the pool could not start, if it tried and failed. */
    private volatile @Nullable RuntimeException startFailure;

    private final JobMetrics metrics;

    private volatile boolean running;

    /** Set once the store was ready and dispatching began; a stop before then has nothing to drain. */
    private volatile boolean started;

    private @Nullable AutoCloseable subscription;

    /** Workflow steps read their dependencies' results and add children through it (looked up late: it needs the pool). */
    private final ObjectProvider<WorkflowAccess> workflows;

    /** Each attempt's output and log streams. */
    private final JobStreams outputs;

    WorkerPool(JobStore store, StoreMigrations migrations, JobHandlers handlers, JobWatchers watchers, PoolProperties properties,
            ClusterProperties cluster, JobProperties jobProperties, NodeProperties nodeProperties, JobMetrics metrics,
            MeterRegistry meters, MemoryMonitor memory, Clock clock, ObjectProvider<WorkflowAccess> workflows,
            JobStreams outputs) {
        this.store = store;
        this.outputs = outputs;
        this.workflows = workflows;
        this.migrations = migrations;
        this.handlers = handlers;
        this.watchers = watchers;
        this.properties = properties;
        this.cluster = cluster;
        this.backoff = Backoff.of(jobProperties);
        this.clock = clock;
        this.identity = new NodeIdentity(nodeProperties.resolvedNodeId(),
                Generators.timeBasedEpochGenerator().generate().toString(), clock.instant());
        this.slots = new Slots(properties.concurrency());
        // a node under memory pressure leaves a shared queue to the others; a store's only node
        // keeps running its own backlog
        BooleanSupplier holdBack = store.shared() ? memory::shedding : () -> false;
        this.dispatcher = new Dispatcher(store, slots, clock,
                () -> new Lease(identity.node(), identity.instance(), clock.instant().plus(cluster.leaseTtl())),
                cluster.pollInterval(), properties.claimBatch(), properties.maxQueued(), holdBack, outage);
        this.writer = new CompletionWriter(store, identity.instance(), this::afterWrite, new CompletionWriter.Refill() {

            @Override
            public @Nullable Claim claim() {
                return dispatcher.refill();
            }

            @Override
            public void claimed(Claim claim, Claimed claimed) {
                dispatcher.refilled(claim, claimed);
                List<Job> jobs = claimed.jobs();
                if (!jobs.isEmpty()) {
                    // started on a thread of their own: the writer, every job's one way through the
                    // store, goes on to the next write meanwhile (measured: a tenth of its time)
                    workers.execute(() -> startAll(jobs));
                }
            }
        }, slots::running, outage);
        this.timeouts = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("spindle-timeouts").daemon().factory());
        this.timeouts.setRemoveOnCancelPolicy(true);
        this.housekeeping = Executors
            .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-heartbeat").daemon().factory());
        this.dispatchThread = Thread.ofPlatform().name("spindle-dispatcher").daemon().unstarted(this::dispatchLoop);
        this.dispatchThread.setUncaughtExceptionHandler((thread, ex) -> {
            OutOfMemoryExit.haltIfOutOfMemory(ex);
            dispatcherDeath = ex;
            log.error("The dispatcher died; no job starts any more (liveness is DOWN)", ex);
        });
        this.metrics = metrics;
        Gauge.builder("spindle.pool.running", slots, Slots::running).description("Jobs running on this node")
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

    /**
     * {@code stored} jobs were stored QUEUED, using up {@code reserved} reserved places, the
     * earliest due at {@code earliest}: the loop wakes if it would not look by then anyway.
     */
    public void enqueued(int stored, int reserved, Instant earliest) {
        dispatcher.enqueued(stored, reserved, earliest);
    }

    /** A queued job was cancelled in the store. */
    public void dequeued() {
        dequeued(1);
    }

    /** {@code jobs} queued jobs were cancelled in the store. */
    public void dequeued(int jobs) {
        dispatcher.dequeued(jobs);
    }

    /**
     * Interrupts the attempt of a job running on this node, if it runs here; the store's cancel
     * decides the outcome. The cancel is remembered for a while first: an attempt claimed just
     * before the cancel was recorded may not be registered yet, and is stopped as it registers.
     */
    public void interrupt(String id) {
        recentCancels.put(id, clock.instant());
        Execution execution = executions.get(id);
        if (execution != null && execution.stop(Stop.CANCELLED)) {
            recentCancels.invalidate(id);
        }
    }

    public PoolStats stats() {
        return new PoolStats(identity.node(), identity.instance(), properties.concurrency(), slots.running(),
                dispatcher.queued(), properties.maxQueued());
    }

    public String node() {
        return identity.node();
    }

    public String instance() {
        return identity.instance();
    }

    // --- events from other nodes --------------------------------------------------------------

    @Override
    public void jobsAvailable() {
        dispatcher.wake();
    }

    @Override
    public void cancelRequested(String id) {
        interrupt(id);
    }

    /** Steps released to the queue count as queued here; waiters on ended steps and workflows are woken. */
    @Override
    public void settled(Settled settled) {
        if (settled.released() > 0) {
            metrics.stepsReleased(settled.released());
            dispatcher.requeued(settled.released());
        }
        List<String> ended = new ArrayList<>(settled.ended());
        for (Settled.WorkflowEnd workflow : settled.workflows()) {
            ended.add(workflow.id());
            metrics.workflowEnded(workflow.state().name());
        }
        watchers.finished(ended);
    }

    // --- lifecycle ----------------------------------------------------------------------------

    @Override
    public void start() {
        running = true;
        // the first start waits for the schema; while the database is unreachable the pool is idle
        migrations.ready().thenRun(this::startNow).exceptionally(ex -> {
            log.error("The worker pool cannot start: the job store is unusable ({}); readiness stays DOWN",
                    ex.getMessage());
            return null;
        });
    }

    /**
     * False only when the dispatcher or the completion writer has died while the pool runs:
     * before the store is ready, and after a stop, there is nothing to be alive for.
     */
    public boolean alive() {
        return !running || !started || (dispatchThread.isAlive() && writer.alive());
    }

    /** Why the pool is not alive: the failure that ended its dispatcher or its writer. */
    public @Nullable Throwable death() {
        return dispatcherDeath != null ? dispatcherDeath : writer.death();
    }

    /** Why the pool could not start, if it tried and failed. */
    public @Nullable RuntimeException startFailure() {
        return startFailure;
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
        try {
            if (!store.shared()) {
                // this process owns the store: whatever is RUNNING was left by one that is gone
                int recovered = store.reapOthers(identity.instance(), clock.instant());
                if (recovered > 0) {
                    log.warn("Recovered {} jobs left RUNNING by a previous process that stopped without finishing "
                            + "them; they run again (at-least-once delivery), fail if out of attempts, or end "
                            + "CANCELLED if a cancel was asked", recovered);
                }
            }
            LeaseRenewal renewal = new LeaseRenewal(store, identity, cluster.leaseTtl(), properties.concurrency(),
                    () -> List.copyOf(executions.keySet()), this::interrupt, outage, clock);
            renewal.run();
            dispatcher.refresh();
            subscription = store.subscribe(this);
            writer.start();
            dispatchThread.start();
            started = true;
            long interval = cluster.heartbeatInterval().toMillis();
            housekeeping.scheduleWithFixedDelay(renewal, interval, interval, TimeUnit.MILLISECONDS);
            housekeeping.scheduleWithFixedDelay(new Reaper(store, dispatcher::wake, outage, clock), interval, interval,
                    TimeUnit.MILLISECONDS);
            housekeeping.scheduleWithFixedDelay(this::refreshBacklog, interval, interval, TimeUnit.MILLISECONDS);
            log.info("Worker pool started on node '{}' as instance {} ({} store): concurrency {}, {} jobs queued",
                    identity.node(), identity.instance(), store.shared() ? "shared" : "single-process",
                    properties.concurrency(), dispatcher.queued());
        }
        catch (RuntimeException ex) {
            log.error("The worker pool could not start; readiness stays DOWN and no job runs: {}", ex.toString(), ex);
            startFailure = ex;
        }
    }


    /** Housekeeping task: re-reads the backlog size, which other nodes' submissions change. */
    private void refreshBacklog() {
        try {
            dispatcher.refresh();
        }
        catch (RuntimeException ex) {
            outage.failed("counting queued jobs", ex);
        }
    }

    @Override
    public synchronized void stop() {
        // A pending interrupt of the stopping thread must not cut the drain short: clear it, wait
        // without it, and restore it at the end.
        boolean interrupted = Thread.interrupted();
        try {
            drainAndStop();
        }
        catch (Exception ex) {
            log.warn("Worker pool did not stop cleanly: {}", ex.toString());
        }
        finally {
            timeouts.shutdownNow();
            housekeeping.shutdownNow();
            workers.shutdown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void drainAndStop() throws Exception {
        running = false;
        slots.close();
        if (!started) {
            return;
        }
        long deadline = System.nanoTime() + properties.shutdownGrace().plus(STOP_MARGIN).toNanos();
        Uninterruptibly.join(dispatchThread, remaining(deadline));
        if (!Uninterruptibly.await(slots::awaitIdle, min(properties.shutdownGrace(), remaining(deadline)))) {
            log.info("Interrupting {} jobs still running after the shutdown grace of {}; they are re-queued",
                    executions.size(), properties.shutdownGrace());
            executions.values().forEach(execution -> execution.stop(Stop.SHUTDOWN));
            if (!Uninterruptibly.await(slots::awaitIdle, min(INTERRUPTED_JOBS_GRACE, remaining(deadline)))) {
                log.warn("{} jobs have not ended after their interrupt, or their outcome is not stored yet; those "
                        + "left RUNNING run again once their lease runs out (on the embedded store: at the next start)",
                        slots.running());
            }
        }
        Uninterruptibly.run(() -> writer.stop(remaining(deadline)));
        housekeeping.shutdown();
        Uninterruptibly.await(timeout -> housekeeping.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS),
                remaining(deadline));
        if (subscription != null) {
            subscription.close();
        }
        if (!outage.ongoing()) {
            try {
                store.leave(identity.instance());
            }
            catch (RuntimeException ex) {
                log.debug("Could not leave the registry", ex);
            }
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
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

    // --- dispatch -----------------------------------------------------------------------------

    private void dispatchLoop() {
        while (running) {
            List<Job> claimed;
            try {
                claimed = dispatcher.next();
            }
            catch (InterruptedException ex) {
                // only a stop ends the loop
                continue;
            }
            startAll(claimed);
        }
    }

    /**
     * Starts claimed jobs (from the dispatch loop, or from a completion write's refill). Jobs claimed
     * by a write that was in flight when a stop began are put back at once, not started.
     */
    private void startAll(List<Job> claimed) {
        if (!running) {
            for (Job job : claimed) {
                slots.ended();
                writer.complete(Completion.interrupted(job.id(), job.fencingToken(),
                        new JobError(SHUTDOWN, "Claimed as a shutdown began; runs again at the next start"), clock.instant())
                    .inWorkflow(job.workflowId()));
            }
            return;
        }
        for (Job job : claimed) {
            try {
                start(job);
            }
            catch (RuntimeException | Error ex) {
                // one job that cannot start fails alone; the loop goes on
                log.error("Job {} could not be started; failing it: {}", job.id(), ex.toString(), ex);
                Execution failed = executions.remove(job.id());
                if (failed != null) {
                    failed.abandonStreams();
                }
                slots.ended();
                writer.complete(Completion.failed(job.id(), job.fencingToken(),
                        new JobError(INTERNAL_ERROR, "The worker pool could not start this job: " + ex), clock.instant())
                    .inWorkflow(job.workflowId()));
            }
        }
    }

    private void start(Job job) {
        Execution execution = new Execution(job.id());
        Instant claimed = job.startedAt() == null ? clock.instant() : job.startedAt();
        metrics.waited(job.type(), Durations.between(job.runAt(), claimed));
        Instant deadline = Durations.plus(clock.instant(), job.timeout());
        long[] lastProgress = { 0 };
        execution.claimed(job, deadline, fraction -> {
            long now = System.nanoTime();
            if (fraction >= 1.0 || now - lastProgress[0] >= PROGRESS_INTERVAL_NANOS) {
                lastProgress[0] = now;
                writer.progress(job.id(), job.fencingToken(), fraction);
            }
        }, job.workflowId() == null ? null : workflows.getIfAvailable(), outputs.open(job.id(), job.fencingToken()));
        executions.put(job.id(), execution);
        // a cancel recorded after this claim whose interrupt came before the registration above
        Instant cancelled = recentCancels.getIfPresent(job.id());
        if (cancelled != null && !claimed.isAfter(cancelled)) {
            recentCancels.invalidate(job.id());
            execution.stop(Stop.CANCELLED);
        }
        workers.execute(() -> run(execution, job));
    }

    private void run(Execution execution, Job job) {
        Completion completion;
        try {
            completion = attempt(execution, job);
        }
        catch (RuntimeException | Error ex) {
            // a failure outside the handler (the timer, the outcome): this job fails alone
            log.error("Job {} failed inside the worker pool: {}", job.id(), ex.toString(), ex);
            completion = Completion.failed(job.id(), job.fencingToken(),
                    new JobError(INTERNAL_ERROR, "The worker pool failed running this job: " + ex), clock.instant());
        }
        slots.ended();
        writer.complete(completion.inWorkflow(job.workflowId()));
    }

    private Completion attempt(Execution execution, Job job) {
        ScheduledFuture<?> timeout = timeouts.schedule(() -> execution.stop(Stop.TIMED_OUT),
                Durations.nanos(job.timeout()), TimeUnit.NANOSECONDS);
        JsonNode result = null;
        Throwable failure = null;
        long began = System.nanoTime();
        boolean ran = false;
        // everything the job logs on its thread carries its id (structured logs show the MDC)
        MDC.put(JobContext.MDC_JOB_ID, job.id());
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
            MDC.remove(JobContext.MDC_JOB_ID);
        }
        boolean ownOutcome = execution.stop(Stop.COMPLETED);
        Thread.interrupted();
        // the output is whole in the store before the outcome is: a reader that sees the job ended
        // reads all of it
        JobStreams.Attempt streams = execution.streams();
        boolean whole = streams.finish();
        if (!whole && !streams.overflowed()) {
            failure = JobFailure.retryable("output_incomplete",
                    "The end of the job's output could not be stored (the store refused it); another attempt writes it again");
        }
        if (streams.overflowed()) {
            // whatever the handler did with the refused write
            failure = JobFailure.permanent("output_too_large",
                    "The job wrote past spindle.output.max-size (" + outputs.maxSize() + "); what came before is kept");
        }
        Stop reason = execution.stopReason();
        Completion completion = ownOutcome || reason == null ? outcome(job, result, failure) : stopped(job, reason);
        logAttempt(job, completion);
        return completion;
    }

    /** One line for an attempt that did not succeed: failed for good, retried, timed out. */
    private static void logAttempt(Job job, Completion completion) {
        JobError error = completion.error();
        if (error == null) {
            return;
        }
        switch (completion.state()) {
            case FAILED -> log.warn("Job {} ({}) failed on attempt {} of {}: {}: {}", job.id(), job.type(),
                    job.attempt(), job.maxAttempts(), error.code(), error.message());
            case QUEUED -> {
                if (!completion.refundAttempt()) {
                    log.info("Job {} ({}) attempt {} of {} failed ({}: {}); next attempt at {}", job.id(), job.type(),
                            job.attempt(), job.maxAttempts(), error.code(), error.message(), completion.runAt());
                }
                else {
                    log.debug("Job {} ({}) put back without using an attempt ({}); runs again at {}", job.id(),
                            job.type(), error.code(), completion.runAt());
                }
            }
            default -> {
            }
        }
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
        if (failure instanceof TooManyStepsException tooMany) {
            // the workflow is as large as it may be: another attempt would add the same children
            return failedAttempt(job, new JobError("too_many_steps", String.valueOf(tooMany.getMessage())), false, now);
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
            case WAITING, QUEUED, RUNNING -> !completion.refundAttempt() ? Outcome.RETRIED
                    : completion.error() != null && completion.error().code().equals(SHUTDOWN) ? Outcome.INTERRUPTED
                    : Outcome.DEFERRED;
        };
    }

    private @Nullable Execution removeAttempt(Completion completion) {
        Execution[] removed = { null };
        executions.computeIfPresent(completion.id(), (id, execution) -> {
            if (execution.job().fencingToken() != completion.fencingToken()) {
                return execution;
            }
            removed[0] = execution;
            return null;
        });
        return removed[0];
    }

    /** Runs on the writer thread once completions are written; only those that changed their job count. */
    private void afterWrite(List<Completion> attempted, List<Completion> applied) {
        slots.stored(attempted.size());
        Map<String, Completion> stored = new HashMap<>();
        applied.forEach(completion -> stored.put(completion.id(), completion));
        List<String> finished = new ArrayList<>(applied.size());
        int requeued = 0;
        for (Completion completion : attempted) {
            // only this attempt's entry: the job may already run again here under a newer claim
            Execution execution = removeAttempt(completion);
            Completion outcome = stored.get(completion.id());
            if (outcome == null) {
                metrics.staleCompletion();
                log.warn("The outcome of job {} (fencing token {}) was not stored: its lease had run out and the job "
                        + "was taken over", completion.id(), completion.fencingToken());
                continue;
            }
            if (execution != null) {
                metrics.completed(execution.job().type(), outcome(outcome));
            }
            if (outcome.state().isTerminal()) {
                finished.add(outcome.id());
            }
            else {
                requeued++;
            }
        }
        if (requeued > 0 && running) {
            dispatcher.requeued(requeued);
        }
        watchers.finished(finished);
    }
}
