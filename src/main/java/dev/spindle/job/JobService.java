package dev.spindle.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import dev.spindle.config.JobProperties;
import dev.spindle.config.Names;
import dev.spindle.config.QueueProperties;
import dev.spindle.memory.MemoryMonitor;
import dev.spindle.pool.PoolStats;
import dev.spindle.pool.WorkerPool;
import dev.spindle.security.Caller;
import dev.spindle.store.DuplicateIdempotencyKeyException;
import dev.spindle.store.JobStore;
import dev.spindle.store.NewJob;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Service;

/**
 * The one way in: REST and TCP submit, read, wait for, cancel and retry jobs here, so both get the
 * same validation, idempotency and admission. A submission is validated whole before anything is
 * stored, and stored whole (one transaction) or not at all.
 *
 * <p>As a lifecycle bean in the last phase it stops first at shutdown: intake closes (503) and
 * long-polling readers are answered, before the web server drains and the pool stops.
 */
@Service
public class JobService implements SmartLifecycle {

    private static final Duration RETRY_AFTER_BACKLOG = Duration.ofSeconds(1);

    private static final Duration RETRY_AFTER_STOPPED = Duration.ofSeconds(5);

    /** How long a stop waits for the submissions in hand once intake has closed. */
    static final Duration INTAKE_DRAIN = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    private static final int CANCEL_PASSES = 5;

    /** Longer than any id Spindle makes: such an id is unknown without a store lookup. */
    private static final int MAX_ID = 64;

    private final JobStore store;

    private final WorkerPool pool;

    private final JobHandlers handlers;

    private final JobWatchers watchers;

    private final JobProperties properties;

    private final Validator validator;

    private final JobMetrics metrics;

    private final MemoryMonitor memory;

    private final Clock clock;

    private final TimeBasedEpochGenerator ids = Generators.timeBasedEpochGenerator();

    private final IntakeGate intake = new IntakeGate();

    JobService(JobStore store, WorkerPool pool, JobHandlers handlers, JobWatchers watchers, JobProperties properties,
            Validator validator, JobMetrics metrics, MemoryMonitor memory, Clock clock) {
        this.store = store;
        this.pool = pool;
        this.handlers = handlers;
        this.watchers = watchers;
        this.properties = properties;
        this.validator = validator;
        this.metrics = metrics;
        this.memory = memory;
        this.clock = clock;
    }

    /** A submission's outcome: the job, and whether this call created it (false: an idempotent repeat). */
    public record Submission(Job job, boolean created) {
    }

    /** Submits one job, as submitted by the caller on this thread ({@link Caller}). */
    public Submission submit(JobRequest request) {
        return submitAll(List.of(request), false, Caller.name()).getFirst();
    }

    /** Submits jobs atomically: all are stored, or (on any fault) none. As {@link #submit}, by the caller. */
    public List<Submission> submitBatch(List<JobRequest> requests) {
        return submitAll(requests, true, Caller.name());
    }

    /** The job, or empty when there is none (or {@code id} cannot be a job's id). */
    public Optional<Job> find(String id) {
        return possibleId(id) ? store.find(id) : Optional.empty();
    }

    /**
     * Whether {@code id} could name a job. Ids come from outside (a path, a RESP argument); one that
     * cannot be a job's is answered as unknown without reaching the store, where a NUL character
     * is an error (PostgreSQL) rather than a miss.
     */
    private static boolean possibleId(String id) {
        return id.length() <= MAX_ID && id.indexOf('\0') < 0;
    }

    private static JobNotFoundException notFound(String id) {
        return new JobNotFoundException(id.length() <= MAX_ID ? id : id.substring(0, MAX_ID) + "…");
    }

    /**
     * The job once it is terminal, or as it stands when {@code wait} has passed.
     *
     * @throws JobNotFoundException when there is no such job
     */
    public Job await(String id, Duration wait) {
        if (!possibleId(id)) {
            throw notFound(id);
        }
        Job job = store.find(id).orElseThrow(() -> new JobNotFoundException(id));
        if (job.state().isTerminal() || wait.isZero() || wait.isNegative()) {
            return job;
        }
        CompletableFuture<Void> finished = watchers.watch(id);
        try {
            job = store.find(id).orElseThrow(() -> new JobNotFoundException(id));
            if (!job.state().isTerminal() && intake.isOpen()) {
                finished.get(wait.toNanos(), TimeUnit.NANOSECONDS);
                job = store.find(id).orElseThrow(() -> new JobNotFoundException(id));
            }
            return job;
        }
        catch (TimeoutException ex) {
            return store.find(id).orElseThrow(() -> new JobNotFoundException(id));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return job;
        }
        catch (ExecutionException ex) {
            throw new IllegalStateException(ex);
        }
        finally {
            watchers.unwatch(id, finished);
        }
    }

    /** A page of jobs; a filter holding a NUL character is refused (it could match nothing anyway). */
    public JobPage list(JobQuery query) {
        List<String> errors = new ArrayList<>();
        InputChecks.text("type", query.type(), errors);
        InputChecks.text("after", query.after(), errors);
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        return store.list(query);
    }

    /** What a cancel did. */
    public record Cancellation(Job job, boolean finished) {
    }

    /**
     * Cancels a queued job at once ({@code finished}), or a running one: the cancel is recorded in
     * the store, where it sticks (whatever ends the attempt, the job ends CANCELLED and never runs
     * again), and the handler is interrupted on whichever node runs it.
     *
     * @throws JobNotFoundException when there is no such job
     * @throws JobConflictException when the job has already finished
     */
    public Cancellation cancel(String id) {
        if (!possibleId(id)) {
            throw notFound(id);
        }
        // a job can move between QUEUED and RUNNING between two steps (claimed, or re-queued for a
        // retry); each pass follows it, and a few passes always settle it
        for (int pass = 0; pass < CANCEL_PASSES; pass++) {
            Optional<Job> cancelled = store.cancelQueued(id, clock.instant());
            if (cancelled.isPresent()) {
                pool.dequeued();
                watchers.finished(List.of(id));
                return new Cancellation(cancelled.get(), true);
            }
            cancelled = store.cancelWaiting(id, clock.instant());
            if (cancelled.isPresent()) {
                watchers.finished(List.of(id));
                return new Cancellation(cancelled.get(), true);
            }
            if (store.requestCancel(id)) {
                // this node interrupts at once; another node is told by a notification or its next heartbeat
                pool.interrupt(id);
                return new Cancellation(store.find(id).orElseThrow(() -> new JobNotFoundException(id)), false);
            }
            Job job = store.find(id).orElseThrow(() -> new JobNotFoundException(id));
            if (job.state().isTerminal()) {
                throw new JobConflictException("Job '" + id + "' is already " + job.state());
            }
        }
        throw new JobConflictException("Job '" + id + "' kept changing state while being cancelled; try again");
    }

    /**
     * Puts a FAILED or CANCELLED job back in the queue with a fresh set of attempts.
     *
     * @throws JobNotFoundException when there is no such job
     * @throws JobConflictException when the job is not FAILED or CANCELLED
     */
    public Job retry(String id) {
        if (!possibleId(id)) {
            throw notFound(id);
        }
        // an unknown job or one in the wrong state is said so even while new work is refused
        Job current = store.find(id).orElseThrow(() -> new JobNotFoundException(id));
        if (current.workflowId() != null) {
            throw new JobConflictException("Job '" + id + "' belongs to workflow '" + current.workflowId()
                    + "'; retry the workflow (POST /api/v1/workflows/" + current.workflowId() + "/retry)");
        }
        if (current.state() != JobState.FAILED && current.state() != JobState.CANCELLED) {
            throw notRetryable(current);
        }
        return inHand(() -> requeue(id));
    }

    private Job requeue(String id) {
        admit(1);
        Optional<Job> requeued;
        try {
            requeued = store.requeue(id, clock.instant());
        }
        catch (RuntimeException ex) {
            pool.cancelReservation(1);
            throw ex;
        }
        if (requeued.isEmpty()) {
            pool.cancelReservation(1);
            throw notRetryable(store.find(id).orElseThrow(() -> new JobNotFoundException(id)));
        }
        Job job = requeued.get();
        pool.enqueued(1, 1, job.runAt());
        return job;
    }

    private static JobConflictException notRetryable(Job job) {
        return new JobConflictException(
                "Job '" + job.id() + "' is " + job.state() + "; only FAILED or CANCELLED jobs can be retried");
    }

    /** This node's worker pool: concurrency, running and queued jobs. */
    public PoolStats stats() {
        return pool.stats();
    }

    /** The registered job types. */
    public List<JobType> types() {
        return handlers.all().stream().map(handler -> new JobType(handler.type(), handler.description())).toList();
    }

    /** A registered job type. */
    public record JobType(String name, String description) {
    }

    // --- submission ---------------------------------------------------------------------------

    private List<Submission> submitAll(List<JobRequest> requests, boolean batch, @Nullable String submittedBy) {
        return inHand(() -> submitInHand(requests, batch, submittedBy));
    }

    /** Runs new work as a submission in hand, which a stop waits for; refused while intake is closed. */
    private <T> T inHand(Supplier<T> work) {
        if (!intake.enter()) {
            throw new OverloadedException("Spindle is not accepting jobs: it is starting or shutting down",
                    RETRY_AFTER_STOPPED);
        }
        try {
            return work.get();
        }
        finally {
            intake.leave();
        }
    }

    private List<Submission> submitInHand(List<JobRequest> requests, boolean batch, @Nullable String submittedBy) {
        if (requests.isEmpty()) {
            throw new InvalidJobException(List.of("jobs: must contain at least one job"));
        }
        Instant now = now();
        List<String> errors = new ArrayList<>();
        List<NewJob> prepared = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            prepared.add(prepare(requests.get(i), submittedBy, now, batch ? "jobs[" + i + "]." : "", errors));
        }
        if (!errors.isEmpty()) {
            throw new InvalidJobException(errors);
        }
        try {
            return store(prepared);
        }
        catch (DuplicateIdempotencyKeyException ex) {
            // another submission took one of the keys between our lookup and our insert: the
            // insert stored nothing, and a second pass finds the job that holds the key
            return store(prepared);
        }
    }

    /** Stores the jobs whose idempotency keys are new; the others resolve to the jobs holding their keys. */
    private List<Submission> store(List<NewJob> prepared) {
        Map<String, Submission> byKey = new HashMap<>();
        List<Submission> submissions = new ArrayList<>(prepared.size());
        List<NewJob> toInsert = new ArrayList<>(prepared.size());
        for (NewJob job : prepared) {
            String key = job.idempotencyKey();
            Submission submission = key == null ? null : byKey.get(key);
            if (submission == null && key != null) {
                submission = store.findByIdempotencyKey(key).map(existing -> new Submission(existing, false)).orElse(null);
            }
            if (submission == null) {
                submission = new Submission(job.toJob(), true);
                toInsert.add(job);
            }
            if (key != null) {
                byKey.put(key, submission);
            }
            submissions.add(submission);
        }
        if (toInsert.isEmpty()) {
            return submissions;
        }
        admitted(toInsert, () -> {
            store.insert(toInsert);
            return toInsert.size();
        });
        toInsert.forEach(job -> metrics.submitted(job.type()));
        return submissions;
    }

    /**
     * Stores new jobs as a submission in hand (a workflow's steps, a step's children): refused
     * while intake is closed, under memory pressure and when the backlog has no room for them all.
     *
     * @param insert stores them, all or none, and answers how many QUEUED jobs it stored (WAITING
     *        ones and any that were there already do not count)
     * @return what {@code insert} answered
     */
    public int submitNew(List<NewJob> jobs, IntSupplier insert) {
        return inHand(() -> {
            int queued = admitted(jobs, insert);
            jobs.forEach(job -> metrics.submitted(job.type()));
            return queued;
        });
    }

    private int admitted(List<NewJob> jobs, IntSupplier insert) {
        admit(jobs.size());
        int queued;
        try {
            queued = insert.getAsInt();
        }
        catch (RuntimeException ex) {
            pool.cancelReservation(jobs.size());
            throw ex;
        }
        pool.enqueued(queued, jobs.size(), jobs.stream()
            .filter(job -> job.state() == JobState.QUEUED)
            .map(NewJob::runAt)
            .min(Instant::compareTo)
            .orElse(Instant.MAX));
        return queued;
    }

    /** Now, as the stores keep it (microseconds), so that an answer matches later reads. */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private void admit(int jobs) {
        if (!pool.isStarted()) {
            throw new OverloadedException("Spindle is not accepting jobs: the job store is not reachable yet",
                    RETRY_AFTER_STOPPED);
        }
        // jobs already stored and running are not touched: only new work waits for the heap
        if (memory.shedding()) {
            metrics.rejected(jobs);
            throw new OverloadedException(memory.refusal(), memory.retryAfter());
        }
        if (!pool.tryReserve(jobs)) {
            metrics.rejected(jobs);
            throw new OverloadedException("The backlog is full (%d queued jobs at most); retry later"
                .formatted(pool.stats().maxQueued()), RETRY_AFTER_BACKLOG);
        }
    }

    /**
     * Validates a submission and applies the defaults, as {@link #submit} does: what is wrong goes
     * to {@code errors}, each message starting with {@code prefix}.
     *
     * @param submittedBy who the job is submitted by ({@link Job#submittedBy()}): the caller passes it,
     *        as only it knows whose submission this is (a worker adding children serves no request)
     * @return the job to store, or null when it is not valid
     */
    public @Nullable NewJob prepare(@Nullable JobRequest request, @Nullable String submittedBy, Instant now, String prefix,
            List<String> errors) {
        if (request == null) {
            errors.add((prefix.isEmpty() ? "body" : prefix.substring(0, prefix.length() - 1))
                    + ": must be a job object, not null");
            return null;
        }
        int before = errors.size();
        for (ConstraintViolation<JobRequest> violation : validator.validate(request)) {
            errors.add(prefix + violation.getPropertyPath() + ": " + violation.getMessage());
        }
        InputChecks.text(prefix + "type", request.type(), errors);
        InputChecks.text(prefix + "idempotencyKey", request.idempotencyKey(), errors);
        InputChecks.text(prefix + "concurrencyKey", request.concurrencyKey(), errors);
        String queue = request.queue() == null ? QueueProperties.DEFAULT_QUEUE : request.queue();
        if (request.queue() != null && !Names.valid(queue)) {
            errors.add(prefix + "queue: must be " + Names.RULE);
        }
        JsonNode payload = request.payload() == null ? JsonNodeFactory.instance.objectNode() : request.payload();
        int beforePayload = errors.size();
        if (!payload.isObject()) {
            errors.add(prefix + "payload: must be a JSON object");
        }
        InputChecks.json(prefix + "payload", payload, errors);
        boolean payloadReadable = errors.size() == beforePayload;
        String type = request.type();
        if (type != null && !type.isBlank() && type.indexOf('\0') < 0) {
            Optional<JobHandler> handler = handlers.find(type);
            if (handler.isEmpty()) {
                errors.add(prefix + "type: unknown job type '" + type + "'; known types: "
                        + String.join(", ", handlers.all().stream().map(JobHandler::type).toList()));
            }
            else if (payloadReadable) {
                try {
                    handler.get().validate(payload);
                }
                catch (IllegalArgumentException ex) {
                    errors.add(prefix + "payload: " + ex.getMessage());
                }
            }
        }
        Duration timeout = request.timeout() == null ? properties.defaultTimeout() : request.timeout();
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(properties.maxTimeout()) > 0) {
            errors.add(prefix + "timeout: must be more than PT0S and at most " + properties.maxTimeout()
                    + " (spindle.jobs.max-timeout)");
        }
        Instant runAt = start(request, now, prefix, errors);
        if (errors.size() > before) {
            return null;
        }
        return new NewJob(ids.generate().toString(), type, queue, request.concurrencyKey(), payload,
                request.priority() == null ? JobRequest.DEFAULT_PRIORITY : request.priority(),
                request.maxAttempts() == null ? properties.defaultMaxAttempts() : request.maxAttempts(), timeout, runAt,
                request.idempotencyKey(), now, submittedBy);
    }

    /**
     * When the job may start: now, after {@code delay}, or at {@code runAt}. Either way no later than
     * {@code spindle.jobs.max-delay} from now, and a {@code runAt} no earlier than
     * {@link JobProperties#MAX_DELAY_LIMIT} (about 100 years) ago: every instant stays far inside
     * what the stores and {@link Duration} arithmetic hold.
     */
    private Instant start(JobRequest request, Instant now, String prefix, List<String> errors) {
        Duration maxDelay = properties.maxDelay();
        if (request.delay() != null && request.runAt() != null) {
            errors.add(prefix + "delay: give either runAt or delay, not both");
            return now;
        }
        if (request.delay() != null) {
            Duration delay = request.delay();
            if (delay.isNegative() || delay.compareTo(maxDelay) > 0) {
                errors.add(prefix + "delay: must be from PT0S to " + maxDelay + " (spindle.jobs.max-delay)");
                return now;
            }
            return now.plus(delay);
        }
        if (request.runAt() != null) {
            Instant runAt = request.runAt();
            Instant earliest = now.minus(JobProperties.MAX_DELAY_LIMIT);
            Instant latest = now.plus(maxDelay);
            if (runAt.isBefore(earliest) || runAt.isAfter(latest)) {
                errors.add(prefix + "runAt: must be from " + earliest.truncatedTo(ChronoUnit.SECONDS) + " to "
                        + latest.truncatedTo(ChronoUnit.SECONDS) + " (at most " + maxDelay
                        + " from now, spindle.jobs.max-delay; at most 100 years ago)");
                return now;
            }
            return runAt.truncatedTo(ChronoUnit.MICROS);
        }
        return now;
    }

    // --- lifecycle: intake ----------------------------------------------------------------------

    @Override
    public void start() {
        intake.open();
    }

    /**
     * Closes intake before the ports close (this phase stops before the web server's and the RESP
     * listener's): new submissions get 503 / {@code -BUSY} at once, long-polls and WAITs are answered
     * with the job as it stands, and the stop waits up to {@link #INTAKE_DRAIN} for the submissions
     * in hand to be answered.
     */
    @Override
    public void stop() {
        boolean interrupted = Thread.interrupted();
        try {
            intake.close();
            watchers.releaseAll();
            if (!intake.awaitDrained(INTAKE_DRAIN)) {
                log.warn("{} submissions were still in hand {} after intake closed; stopping anyway",
                        intake.inHand(), INTAKE_DRAIN);
            }
        }
        catch (InterruptedException ex) {
            interrupted = true;
        }
        finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return intake.isOpen();
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /** @return whether submissions are taken now */
    public boolean isAccepting() {
        return intake.isOpen();
    }

}
