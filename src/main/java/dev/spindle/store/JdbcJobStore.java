package dev.spindle.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.spindle.config.QueueProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobError;
import dev.spindle.job.JobPage;
import dev.spindle.job.JobQuery;
import dev.spindle.job.JobState;
import dev.spindle.schedule.Schedule;
import dev.spindle.schedule.ScheduleDefinition;
import dev.spindle.schedule.ScheduleSource;
import dev.spindle.workflow.Workflow;
import dev.spindle.workflow.WorkflowPage;
import dev.spindle.workflow.WorkflowQuery;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.SQLExceptionTranslator;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link JobStore} on JDBC, the same SQL for SQLite and PostgreSQL; what differs is in the
 * {@link Dialect}. Batches go through {@link JdbcTemplate#batchUpdate} with explicit SQL types, so
 * drivers need no parameter metadata.
 *
 * <p>Writes: concurrent submissions share a transaction ({@link GroupCommit}) on both databases.
 * On SQLite, which allows one writer at a time, every write takes that same path, so claims,
 * completions and submissions that arrive together commit together and never wait on the
 * database's file lock; reads run on their own connections beside it (WAL).
 */
@Repository
class JdbcJobStore implements JobStore, WorkflowStore, QueueStore, ScheduleStore, OutputStore {

    private static final Logger log = LoggerFactory.getLogger(JdbcJobStore.class);

    /** What every read of jobs selects (and every claim returns), in this order: {@link #mapJob} reads by position. */
    private static final List<String> COLUMN_LIST = List.of("id", "type", "queue", "concurrency_key", "payload", "state", "priority", "max_attempts",
            "attempt", "timeout_ms", "run_at", "idempotency_key", "result", "error_code", "error_message", "progress",
            "node", "fencing_token", "created_at", "started_at", "finished_at", "workflow_id", "step_id", "parent_id",
            "submitted_by");

    private static final String COLUMNS = String.join(", ", COLUMN_LIST);

    // positions in COLUMNS: a lookup by name costs a map probe per column and row (measured: a
    // tenth of the writer's Java time in the embedded drain)
    private static final int ID = column("id"), TYPE = column("type"), QUEUE = column("queue"),
            CONCURRENCY_KEY = column("concurrency_key"), PAYLOAD = column("payload"),
            STATE = column("state"), PRIORITY = column("priority"), MAX_ATTEMPTS = column("max_attempts"),
            ATTEMPT = column("attempt"), TIMEOUT_MS = column("timeout_ms"), RUN_AT = column("run_at"),
            IDEMPOTENCY_KEY = column("idempotency_key"), RESULT = column("result"), ERROR_CODE = column("error_code"),
            ERROR_MESSAGE = column("error_message"), PROGRESS = column("progress"), NODE = column("node"),
            FENCING_TOKEN = column("fencing_token"), CREATED_AT = column("created_at"),
            STARTED_AT = column("started_at"), FINISHED_AT = column("finished_at"), WORKFLOW_ID = column("workflow_id"),
            STEP_ID = column("step_id"), PARENT_ID = column("parent_id"), SUBMITTED_BY = column("submitted_by");

    private static final int MAX_ERROR_MESSAGE = 4000;

    /** What a retry resets on a FAILED or CANCELLED job: a fresh set of attempts, nothing of the last run. */
    static final String REARMED = """
            attempt = 0, result = NULL, error_code = NULL, error_message = NULL, progress = NULL, started_at = NULL,
            finished_at = NULL, node = NULL, instance = NULL, lease_until = NULL, cancel_requested = FALSE""";

    /** Ids per lease renewal statement (bound parameters stay well inside both databases' limits). */
    private static final int RENEWALS_PER_STATEMENT = 500;

    private static final int QUERY_TIMEOUT_SECONDS = 30;

    private static final String CANCELLED_WHILE_RUNNING = "Cancelled while running";

    private static final Comparator<Job> DISPATCH_ORDER = Comparator.comparingInt(Job::priority)
        .reversed()
        .thenComparing(Job::runAt)
        .thenComparing(Job::id);

    /** A write of the group commit: new jobs (merged into one batch per group), or any other transaction's work. */
    private sealed interface Write permits Inserts, Work {
    }

    private record Inserts(List<NewJob> jobs) implements Write {
    }

    private static final class Work<R> implements Write {

        final Supplier<R> work;

        @Nullable R result;

        Work(Supplier<R> work) {
            this.work = work;
        }
    }

    private final JdbcTemplate jdbcTemplate;

    private final JdbcClient jdbc;

    private final TransactionTemplate tx;

    private final JsonMapper json;

    private final Dialect dialect;

    private final ClaimStep claimStep;

    private final RowMapper<Job> jobMapper = this::mapJob;

    private final GroupCommit<Write> writes = new GroupCommit<>(this::writeGroup, 1000,
            write -> write instanceof Inserts inserts ? inserts.jobs().size() : 1);

    private final StoreWrites health;

    private final WorkflowRows workflows;

    private final QueueRows queues;

    private final ScheduleRows schedules;

    /** The process's pool, told what workflow settlements did once they are committed. */
    private volatile @Nullable StoreListener listener;

    JdbcJobStore(JdbcTemplate jdbcTemplate, TransactionTemplate tx, JsonMapper json, StoreWrites health,
            QueueProperties queues) {
        this.health = health;
        this.dialect = Dialect.of(jdbcTemplate.getDataSource());
        // a template of its own: the dialect's error translation, and no change to the shared bean
        this.jdbcTemplate = new JdbcTemplate(Objects.requireNonNull(jdbcTemplate.getDataSource()));
        SQLExceptionTranslator translator = dialect.exceptionTranslator();
        if (translator != null) {
            this.jdbcTemplate.setExceptionTranslator(translator);
        }
        // no statement of the store needs long; one that does waits on something that went wrong
        this.jdbcTemplate.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
        this.jdbc = JdbcClient.create(this.jdbcTemplate);
        // and a transaction manager of its own with the same translation: a commit that fails (on
        // SQLite the commit is where a full or read-only disk shows) is a data access failure
        // (503), not a TransactionSystemException (500)
        this.tx = new TransactionTemplate(dialect.transactionManager(Objects.requireNonNull(jdbcTemplate.getDataSource())),
                tx);
        this.json = json;
        this.claimStep = new LaneClaims(jdbc, dialect, queues);
        this.queues = new QueueRows(jdbc, dialect, queues);
        this.schedules = new ScheduleRows(jdbc, dialect, json);
        this.workflows = new WorkflowRows(this.jdbcTemplate, jdbc, dialect, json, jobMapper, COLUMNS);
    }

    @Override
    public boolean shared() {
        return dialect.shared();
    }

    // --- the write path -------------------------------------------------------------------------

    /** Runs {@code work} as one transaction: through the group commit where the database has one writer. */
    private <R> R write(Supplier<R> work) {
        return write(work, false);
    }

    /**
     * @param alwaysWrites whether {@code work} changes a row whatever the data: only then does its
     *        success show that the store takes writes again (a claim or a completion that changes
     *        nothing commits even on a full or read-only disk)
     */
    private <R> R write(Supplier<R> work, boolean alwaysWrites) {
        return recorded(alwaysWrites, () -> {
            if (!dialect.singleWriter()) {
                return tx.execute(status -> work.get());
            }
            Work<R> write = new Work<>(work);
            writes.write(List.of(write));
            return write.result;
        });
    }

    /** Every write goes through here: whether it succeeded tells {@link StoreWrites} whether the store takes writes. */
    private <R> R recorded(boolean alwaysWrites, Supplier<R> write) {
        try {
            R result = write.get();
            if (alwaysWrites) {
                health.succeeded();
            }
            return result;
        }
        catch (RuntimeException ex) {
            health.failed(ex);
            throw ex;
        }
    }

    /** What the workflow settlements of one write did, told to the listener once the write is committed. */
    private static final class Settling {

        Settled settled = Settled.NONE;

        void reset() {
            settled = Settled.NONE;
        }

        void settle(WorkflowRows workflows, Collection<String> ended, Instant now) {
            if (!ended.isEmpty()) {
                settled = settled.plus(workflows.settle(ended, now));
            }
        }
    }

    /** {@link #write(Supplier, boolean)} of work that may end workflow jobs: it settles them through {@code settling}. */
    private <R> R settling(boolean alwaysWrites, Function<Settling, R> work) {
        Settling settling = new Settling();
        R result = write(() -> {
            // afresh on every run: a group that fails is written again, one caller at a time
            settling.reset();
            return work.apply(settling);
        }, alwaysWrites);
        StoreListener told = listener;
        if (told != null && !settling.settled.isEmpty()) {
            told.settled(settling.settled);
        }
        return result;
    }

    /** One group of the group commit, in one transaction: every insert in one batch, then each other write. */
    private void writeGroup(List<Write> group) {
        tx.executeWithoutResult(status -> {
            List<NewJob> inserts = new ArrayList<>();
            for (Write write : group) {
                if (write instanceof Inserts batch) {
                    inserts.addAll(batch.jobs());
                }
            }
            if (!inserts.isEmpty()) {
                insertRows(inserts, Existing.FAIL);
            }
            for (Write write : group) {
                if (write instanceof Work<?> work) {
                    run(work);
                }
            }
        });
    }

    private static <R> void run(Work<R> work) {
        work.result = work.work.get();
    }

    // --- submissions ----------------------------------------------------------------------------

    @Override
    public void insert(List<NewJob> jobs) {
        try {
            recorded(true, () -> {
                writes.write(List.of(new Inserts(jobs)));
                return null;
            });
        }
        catch (DuplicateKeyException ex) {
            throw new DuplicateIdempotencyKeyException(ex);
        }
    }

    /** What an insert may leave out rather than fail on: nothing, or a row whose key is taken. */
    private enum Existing {
        FAIL(""),
        /** a child its parent already has (by its place among them) */
        SKIP_CHILD(" ON CONFLICT (parent_id, seq) WHERE parent_id IS NOT NULL DO NOTHING"),
        /** a job whose idempotency key another holds */
        SKIP_KEY(" ON CONFLICT (idempotency_key) DO NOTHING");

        final String clause;

        Existing(String clause) {
            this.clause = clause;
        }
    }

    private void insertRows(List<NewJob> jobs, Existing existing) {
        int[] types = { Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR,
                Types.SMALLINT, Types.INTEGER,
                Types.INTEGER, Types.BIGINT, dialect.instantType(), Types.VARCHAR, dialect.instantType(), Types.VARCHAR,
                Types.VARCHAR, Types.VARCHAR, Types.INTEGER, Types.INTEGER, Types.VARCHAR };
        List<Object[]> rows = new ArrayList<>(jobs.size());
        for (NewJob job : jobs) {
            rows.add(new Object[] { job.id(), job.type(), job.queue(),
                    job.concurrencyKey() == null ? "" : job.concurrencyKey(), json.writeValueAsString(job.payload()),
                    job.state().name(),
                    job.priority(), job.maxAttempts(), 0, job.timeout().toMillis(), dialect.instant(job.runAt()),
                    job.idempotencyKey(), dialect.instant(job.createdAt()), job.workflowId(), job.stepId(),
                    job.parentId(), job.seq(), job.waitingOn(), job.submittedBy() });
        }
        jdbcTemplate.batchUpdate("""
                INSERT INTO jobs (id, type, queue, concurrency_key, payload, state, priority, max_attempts, attempt,
                                  timeout_ms, run_at, idempotency_key, created_at, workflow_id, step_id, parent_id, seq,
                                  waiting_on, submitted_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
                + existing.clause, rows,
                types);
        dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
    }

    // --- reads ----------------------------------------------------------------------------------

    @Override
    public Optional<Job> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE id = ?").param(id).query(jobMapper).optional();
    }

    @Override
    public Optional<Job> findByIdempotencyKey(String key) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE idempotency_key = ?").param(key).query(jobMapper)
            .optional();
    }

    @Override
    public JobPage list(JobQuery query) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM jobs WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        if (query.state() != null) {
            sql.append(" AND state = ?");
            params.add(query.state().name());
        }
        if (query.type() != null) {
            sql.append(" AND type = ?");
            params.add(query.type());
        }
        if (query.after() != null) {
            sql.append(" AND id < ?");
            params.add(query.after());
        }
        // leading with the filtered column keeps the walk on the (state, id) or (type, id) index
        // in its own order, with no sort; the page order is the same
        String leading = query.state() != null ? "state DESC, " : query.type() != null ? "type DESC, " : "";
        sql.append(" ORDER BY ").append(leading).append("id DESC LIMIT ?");
        params.add(query.limit() + 1);
        List<Job> items = jdbc.sql(sql.toString()).params(params).query(jobMapper).list();
        if (items.size() <= query.limit()) {
            return new JobPage(items, null);
        }
        List<Job> page = items.subList(0, query.limit());
        return new JobPage(List.copyOf(page), page.getLast().id());
    }

    @Override
    public Optional<Instant> nextRunAt(Instant now) {
        return jdbc.sql("SELECT MIN(run_at) FROM jobs WHERE state = 'QUEUED' AND run_at > ?")
            .param(dialect.instant(now))
            .query((rs, n) -> Optional.ofNullable(dialect.instant(rs, 1)))
            .single();
    }

    @Override
    public long countQueued() {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state = 'QUEUED'").query(Long.class).single();
    }

    // --- claims and completions -----------------------------------------------------------------

    @Override
    public Claimed claim(Claim claim) {
        if (claim.max() <= 0) {
            return Claimed.NOTHING;
        }
        return settling(false, settling -> claimNow(claim.max(), claim.lease(), claim.now(), settling));
    }

    /** The claim's statements, inside the caller's transaction. */
    private Claimed claimNow(int max, Lease lease, Instant now, Settling settling) {
        List<Object> set = List.of(dialect.instant(now), lease.node(), lease.instance(), dialect.instant(lease.until()));
        ClaimStep.Taken<ClaimedRow> taken = claimStep.claim(max, now, lease.instance(), candidates -> {
            List<Object> params = new ArrayList<>(set);
            params.addAll(candidates.params());
            String sql = """
                    UPDATE jobs SET state = 'RUNNING', attempt = attempt + 1, fencing_token = fencing_token + 1,
                                    started_at = ?, node = ?, instance = ?, lease_until = ?, finished_at = NULL,
                                    progress = NULL
                    WHERE id IN (%s)
                    RETURNING\s""".formatted(candidates.sql()) + COLUMNS;
            return jdbc.sql(sql).params(params).query(this::mapClaimed).list();
        }, ClaimedRow::lane);
        List<ClaimedRow> rows = taken.rows();
        settling.settle(workflows, failUnreadable(rows, now), now);
        List<Job> jobs = new ArrayList<>(rows.size());
        for (ClaimedRow row : rows) {
            if (row.job() != null) {
                jobs.add(row.job());
            }
            else {
                log.error("Job {} is stored in a form this version cannot read ({}); it was failed with {}", row.id(),
                        row.problem(), JobError.INTERNAL_ERROR);
            }
        }
        jobs.sort(DISPATCH_ORDER);
        return new Claimed(jobs, taken.more());
    }

    /** A claimed row: its job, or why it could not be read (then {@code job} is null). */
    private record ClaimedRow(String id, long fencingToken, ClaimStep.Lane lane, @Nullable Job job,
            @Nullable String problem) {
    }

    /**
     * A row the mapper chokes on (a payload that is not JSON, a state no version wrote) must not
     * fail the claim it is in, or every claim after it: it is kept apart and failed by id.
     */
    private ClaimedRow mapClaimed(ResultSet rs, int rowNum) throws SQLException {
        String id = rs.getString(ID);
        long fencingToken = rs.getLong(FENCING_TOKEN);
        ClaimStep.Lane lane = new ClaimStep.Lane(rs.getString(QUEUE), rs.getString(CONCURRENCY_KEY));
        try {
            return new ClaimedRow(id, fencingToken, lane, mapJob(rs, rowNum), null);
        }
        catch (RuntimeException ex) {
            return new ClaimedRow(id, fencingToken, lane, null, ex.toString());
        }
    }

    /**
     * Ends the claimed rows that could not be read: FAILED with internal_error, in the claim's transaction.
     *
     * @return their ids
     */
    private List<String> failUnreadable(List<ClaimedRow> claimed, Instant now) {
        List<Object[]> rows = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (ClaimedRow row : claimed) {
            if (row.job() == null) {
                rows.add(new Object[] { JobError.INTERNAL_ERROR,
                        truncate("The store holds this job in a form the worker pool cannot read: " + row.problem()),
                        dialect.instant(now), row.id(), row.fencingToken() });
                ids.add(row.id());
            }
        }
        if (rows.isEmpty()) {
            return ids;
        }
        jdbcTemplate.batchUpdate("""
                UPDATE jobs SET state = 'FAILED', error_code = ?, error_message = ?, finished_at = ?, lease_until = NULL
                WHERE id = ? AND state = 'RUNNING' AND fencing_token = ?""", rows,
                new int[] { Types.VARCHAR, Types.VARCHAR, dialect.instantType(), Types.VARCHAR, Types.BIGINT });
        return ids;
    }

    @Override
    public Completed complete(String instance, List<Completion> completions, List<Progress> progress,
            @Nullable Claim claim) {
        boolean claiming = claim != null && claim.max() > 0;
        if (completions.isEmpty() && progress.isEmpty() && !claiming) {
            return new Completed(List.of(), Claimed.NOTHING);
        }
        return settling(false, settling -> {
            Set<String> cancelAsked = cancelsAsked(instance, completions);
            recordProgress(progress);
            List<Completion> applied = completeNow(completions, cancelAsked);
            // every applied one of a workflow's job, not only those that meant to end it: a cancel
            // asked after cancelsAsked read ends a retry CANCELLED too (settle reads the stored
            // state); a job outside any workflow costs nothing here
            List<String> ended = new ArrayList<>();
            Instant latest = Instant.EPOCH;
            for (Completion completion : applied) {
                if (completion.workflowId() != null) {
                    ended.add(completion.id());
                    latest = latest.isAfter(completion.at()) ? latest : completion.at();
                }
            }
            // before the claim: a step this releases may be claimed by the same commit
            settling.settle(workflows, ended, latest);
            return new Completed(applied,
                    claiming ? claimNow(claim.max(), claim.lease(), claim.now(), settling) : Claimed.NOTHING);
        });
    }

    /**
     * Which of the instance's running jobs a cancel was asked for: their completion ends them
     * CANCELLED (the statement decides that itself; this read tells the caller). One probe of the
     * partial index {@code jobs_cancel_requested}.
     */
    private Set<String> cancelsAsked(String instance, List<Completion> completions) {
        return completions.isEmpty() ? Set.of() : new HashSet<>(jdbc
            .sql("SELECT id FROM jobs WHERE instance = ? AND cancel_requested AND state = 'RUNNING'")
            .param(instance)
            .query(String.class)
            .list());
    }

    private void recordProgress(List<Progress> progress) {
        if (progress.isEmpty()) {
            return;
        }
        jdbcTemplate.batchUpdate("UPDATE jobs SET progress = ? WHERE id = ? AND state = 'RUNNING' AND fencing_token = ?",
                progress.stream()
                    .sorted(Comparator.comparing(Progress::id))
                    .map(p -> new Object[] { p.fraction(), p.id(), p.fencingToken() })
                    .toList(),
                new int[] { Types.DOUBLE, Types.VARCHAR, Types.BIGINT });
    }

    private List<Completion> completeNow(List<Completion> given, Set<String> cancelAsked) {
        if (given.isEmpty()) {
            return List.of();
        }
        List<Completion> completions = given.stream().sorted(Comparator.comparing(Completion::id)).toList();
        int instant = dialect.instantType();
        int[] types = { Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, instant, instant,
                Types.DOUBLE, instant, Types.INTEGER, Types.VARCHAR, Types.BIGINT };
        List<Object[]> rows = new ArrayList<>(completions.size());
        for (Completion c : completions) {
            JobError error = c.error();
            Object at = dialect.instant(c.at());
            rows.add(new Object[] { c.state().name(), c.result() == null ? null : json.writeValueAsString(c.result()),
                    error == null ? null : error.code(), CANCELLED_WHILE_RUNNING,
                    error == null ? null : truncate(error.message()), at, c.state().isTerminal() ? at : null,
                    c.state() == JobState.SUCCEEDED ? 1.0 : null, c.runAt() == null ? null : dialect.instant(c.runAt()),
                    c.refundAttempt() ? 1 : 0, c.id(), c.fencingToken() });
        }
        int[] counts = jdbcTemplate.batchUpdate("""
                UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'CANCELLED' ELSE ? END,
                                result = CASE WHEN cancel_requested THEN NULL ELSE ? END,
                                error_code = CASE WHEN cancel_requested THEN 'cancelled' ELSE ? END,
                                error_message = CASE WHEN cancel_requested THEN ? ELSE ? END,
                                finished_at = CASE WHEN cancel_requested THEN ? ELSE ? END,
                                progress = COALESCE(?, progress),
                                run_at = COALESCE(?, run_at),
                                attempt = attempt - ?,
                                lease_until = NULL, cancel_requested = FALSE
                WHERE id = ? AND state = 'RUNNING' AND fencing_token = ?""", rows, types);
        List<Completion> applied = new ArrayList<>(completions.size());
        boolean requeued = false;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                continue;
            }
            Completion completion = completions.get(i);
            if (cancelAsked.contains(completion.id())) {
                completion = Completion.cancelled(completion.id(), completion.fencingToken(),
                        new JobError(JobError.CANCELLED, CANCELLED_WHILE_RUNNING), completion.at())
                    .inWorkflow(completion.workflowId());
            }
            requeued |= completion.state() == JobState.QUEUED;
            applied.add(completion);
        }
        if (requeued) {
            dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
        }
        return applied;
    }

    @Override
    public List<String> heartbeat(NodeHeartbeat beat) {
        return write(() -> {
            List<String> running = beat.running().stream().sorted().toList();
            for (int from = 0; from < running.size(); from += RENEWALS_PER_STATEMENT) {
                List<String> ids = running.subList(from, Math.min(running.size(), from + RENEWALS_PER_STATEMENT));
                List<Object> params = new ArrayList<>(ids.size() + 2);
                params.add(dialect.instant(beat.leaseUntil()));
                params.add(beat.instance());
                params.addAll(ids);
                jdbc.sql("""
                        UPDATE jobs SET lease_until = ?
                        WHERE state = 'RUNNING' AND id IN (SELECT id FROM jobs
                                                           WHERE instance = ? AND state = 'RUNNING' AND id IN (%s)%s)"""
                    .formatted(marks(ids.size()), dialect.skipLocked()))
                    .params(params)
                    .update();
            }
            int updated = jdbc.sql("UPDATE nodes SET heartbeat_at = ?, concurrency = ? WHERE instance = ?")
                .params(dialect.instant(beat.now()), beat.concurrency(), beat.instance())
                .update();
            if (updated == 0) {
                jdbc.sql("INSERT INTO nodes (instance, node, started_at, heartbeat_at, concurrency) VALUES (?, ?, ?, ?, ?)")
                    .params(beat.instance(), beat.node(), dialect.instant(beat.startedAt()), dialect.instant(beat.now()),
                            beat.concurrency())
                    .update();
            }
            jdbc.sql("DELETE FROM nodes WHERE heartbeat_at < ?").param(dialect.instant(beat.forgetBefore())).update();
            return jdbc.sql("SELECT id FROM jobs WHERE instance = ? AND cancel_requested AND state = 'RUNNING'")
                .param(beat.instance())
                .query(String.class)
                .list();
        }, true);
    }

    @Override
    public void leave(String instance) {
        write(() -> jdbc.sql("DELETE FROM nodes WHERE instance = ?").param(instance).update());
    }

    @Override
    public List<NodeView> nodes() {
        return jdbc.sql("""
                SELECT n.instance, n.node, n.started_at, n.heartbeat_at, n.concurrency,
                       (SELECT COUNT(*) FROM jobs j WHERE j.state = 'RUNNING' AND j.instance = n.instance) AS running
                FROM nodes n ORDER BY n.node, n.started_at""")
            .query((rs, n) -> new NodeView(rs.getString("instance"), rs.getString("node"),
                    Objects.requireNonNull(dialect.instant(rs, "started_at")),
                    Objects.requireNonNull(dialect.instant(rs, "heartbeat_at")), rs.getInt("concurrency"),
                    rs.getLong("running")))
            .list();
    }

    @Override
    public int reapExpired(Instant now) {
        return reap("lease_until < ?", dialect.instant(now), now,
                "The lease of this attempt ran out: the process running it stopped renewing it");
    }

    @Override
    public int reapOthers(String instance, Instant now) {
        return reap("(instance IS NULL OR instance <> ?)", instance, now,
                "The process running this attempt stopped without finishing it");
    }

    /**
     * Ends the attempts of RUNNING jobs matching {@code condition}: CANCELLED when a cancel was
     * asked, else back to QUEUED while attempts remain, else FAILED.
     */
    private int reap(String condition, Object conditionParam, Instant now, String message) {
        Object at = dialect.instant(now);
        return settling(false, settling -> {
            List<Reaped> reaped = jdbc.sql("""
                UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'CANCELLED'
                                             WHEN attempt < max_attempts THEN 'QUEUED' ELSE 'FAILED' END,
                                error_code = CASE WHEN cancel_requested THEN 'cancelled' ELSE ? END,
                                error_message = CASE WHEN cancel_requested THEN ? ELSE ? END,
                                finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN ? END,
                                run_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN run_at ELSE ? END,
                                lease_until = NULL, cancel_requested = FALSE
                WHERE state = 'RUNNING' AND id IN (SELECT id FROM jobs WHERE state = 'RUNNING' AND %s%s)
                RETURNING id, state"""
                .formatted(condition, dialect.skipLocked()))
            .params(JobError.LEASE_EXPIRED, CANCELLED_WHILE_RUNNING, message, at, at, conditionParam)
            .query((rs, n) -> new Reaped(rs.getString(1), JobState.valueOf(rs.getString(2))))
            .list();
            if (!reaped.isEmpty()) {
                dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
            }
            settling.settle(workflows, reaped.stream().filter(r -> r.state().isTerminal()).map(Reaped::id).toList(), now);
            return reaped.size();
        });
    }

    private record Reaped(String id, JobState state) {
    }

    // --- cancel and retry -----------------------------------------------------------------------

    @Override
    public boolean requestCancel(String id) {
        return write(() -> {
            boolean requested = jdbc.sql("UPDATE jobs SET cancel_requested = TRUE WHERE id = ? AND state = 'RUNNING'")
                .param(id)
                .update() > 0;
            if (requested) {
                dialect.notify(jdbcTemplate, PostgresNotifications.CANCEL_CHANNEL, id);
            }
            return requested;
        });
    }

    @Override
    public AutoCloseable subscribe(StoreListener listener) {
        this.listener = listener;
        if (!dialect.shared()) {
            return () -> this.listener = null;
        }
        PostgresNotifications notifications = new PostgresNotifications(jdbcTemplate.getDataSource(), listener);
        notifications.start();
        return () -> {
            this.listener = null;
            notifications.stop();
        };
    }

    @Override
    public Optional<Job> cancelQueued(String id, Instant now) {
        return cancelIn(JobState.QUEUED, id, now);
    }

    @Override
    public Optional<Job> cancelWaiting(String id, Instant now) {
        return cancelIn(JobState.WAITING, id, now);
    }

    private Optional<Job> cancelIn(JobState state, String id, Instant now) {
        return settling(false, settling -> {
            Optional<Job> cancelled = jdbc.sql("""
                    UPDATE jobs SET state = 'CANCELLED', error_code = ?, error_message = ?, finished_at = ?
                    WHERE id = ? AND state = ?
                    RETURNING\s""" + COLUMNS)
                .params(JobError.CANCELLED, "Cancelled before it started", dialect.instant(now), id, state.name())
                .query(jobMapper)
                .optional();
            if (cancelled.isPresent() && cancelled.get().workflowId() != null) {
                settling.settle(workflows, List.of(id), now);
            }
            return cancelled;
        });
    }

    @Override
    public Optional<Job> requeue(String id, Instant now) {
        return write(() -> {
            Optional<Job> requeued = jdbc.sql("""
                    UPDATE jobs SET state = 'QUEUED', run_at = ?, %s
                    WHERE id = ? AND state IN ('FAILED', 'CANCELLED') AND workflow_id IS NULL
                    RETURNING\s""".formatted(REARMED) + COLUMNS)
                .params(dialect.instant(now), id)
                .query(jobMapper)
                .optional();
            if (requeued.isPresent()) {
                dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
            }
            return requeued;
        });
    }

    @Override
    public int deleteFinishedBefore(Instant cutoff, int limit) {
        // ids first, then delete by primary key: a bounded batch whatever the database does with
        // DELETE ... LIMIT; a workflow's jobs go with their workflow, whole
        List<String> ids = jdbc.sql(
                "SELECT id FROM jobs WHERE finished_at < ? AND workflow_id IS NULL ORDER BY finished_at LIMIT ?")
            .params(dialect.instant(cutoff), limit)
            .query(String.class)
            .list();
        if (ids.isEmpty()) {
            return 0;
        }
        // their output first, in bounded transactions of its own (a job's output may be many rows:
        // SQLite's one writer is not held for all of them at once)
        String chunks = """
                DELETE FROM job_chunks WHERE (job_id, fencing_token, stream, seq) IN
                    (SELECT c.job_id, c.fencing_token, c.stream, c.seq FROM job_chunks c JOIN jobs j ON j.id = c.job_id
                     WHERE c.job_id IN (:ids) AND j.finished_at < :cutoff LIMIT :limit)""";
        while (write(() -> jdbc.sql(chunks)
            .param("ids", ids)
            .param("cutoff", dialect.instant(cutoff))
            .param("limit", CHUNK_DELETE_BATCH)
            .update()) > 0) {
            // until none is left
        }
        return write(() -> {
            // still finished (a retry may have put one back since): those go, with what is left of their output
            List<String> finished = jdbc.sql("SELECT id FROM jobs WHERE id IN (:ids) AND finished_at < :cutoff")
                .param("ids", ids)
                .param("cutoff", dialect.instant(cutoff))
                .query(String.class)
                .list();
            if (finished.isEmpty()) {
                return 0;
            }
            jdbc.sql("DELETE FROM job_chunks WHERE job_id IN (:ids)").param("ids", finished).update();
            return jdbc.sql("DELETE FROM jobs WHERE id IN (:ids)").param("ids", finished).update();
        });
    }

    // --- workflows ------------------------------------------------------------------------------

    @Override
    public void insertWorkflow(NewWorkflow workflow) {
        try {
            write(() -> {
                workflows.insert(workflow);
                insertRows(workflow.steps(), Existing.FAIL);
                return null;
            }, true);
        }
        catch (DuplicateKeyException ex) {
            throw new DuplicateIdempotencyKeyException(ex);
        }
    }

    @Override
    public Optional<Workflow> findWorkflow(String id) {
        return workflows.find(id);
    }

    @Override
    public Optional<Workflow> findWorkflowByIdempotencyKey(String key) {
        return workflows.findByIdempotencyKey(key);
    }

    @Override
    public WorkflowPage listWorkflows(WorkflowQuery query) {
        return workflows.list(query);
    }

    @Override
    public WorkflowSteps workflowSteps(String workflowId) {
        return workflows.steps(workflowId);
    }

    @Override
    public Map<String, JsonNode> dependencyResults(String jobId) {
        return workflows.dependencyResults(jobId);
    }

    @Override
    public List<JsonNode> childResults(String jobId, String stepId) {
        return workflows.childResults(jobId, stepId);
    }

    @Override
    public int addChildren(String parentId, long fencingToken, List<NewJob> children, int maxSteps) {
        if (children.isEmpty()) {
            return 0;
        }
        return write(() -> {
            String workflowId = workflows.runningStep(parentId, fencingToken)
                .orElseThrow(() -> new StepNotRunningException("Job " + parentId
                        + " is not a running workflow step under fencing token " + fencingToken));
            // counted, not taken from the batch's update counts (a driver may not report them)
            int before = workflows.children(parentId, children);
            insertRows(children, Existing.SKIP_CHILD);
            int added = workflows.children(parentId, children) - before;
            if (added > 0) {
                workflows.childrenAdded(parentId, fencingToken, workflowId, added, maxSteps);
            }
            return added;
        }, true);
    }

    @Override
    public Optional<WorkflowCancel> cancelWorkflow(String id, Instant now) {
        try {
            return cancelRunningWorkflow(id, now);
        }
        catch (WorkflowEndedException ex) {
            return Optional.empty();
        }
    }

    private Optional<WorkflowCancel> cancelRunningWorkflow(String id, Instant now) {
        return settling(false, settling -> {
            WorkflowRows.Cancelled cancelled = workflows.cancel(id, now);
            if (cancelled == null) {
                return Optional.<WorkflowCancel>empty();
            }
            settling.settle(workflows, cancelled.ended(), now);
            // long-polls on the jobs it ended wake too
            settling.settled = settling.settled.plus(new Settled(0, cancelled.ended(), List.of()));
            // as it stands after the settlement: ended already when nothing of it was running
            return Optional.of(new WorkflowCancel(workflows.find(id).orElseThrow(), cancelled.dequeued(),
                    cancelled.running()));
        });
    }

    @Override
    public Optional<Workflow> retryWorkflow(String id, Instant now) {
        return settling(false, settling -> {
            int queued = workflows.retry(id, now);
            if (queued > 0) {
                settling.settled = settling.settled.plus(new Settled(queued, List.of(), List.of()));
            }
            return workflows.find(id);
        });
    }

    @Override
    public long countOpenWorkflows() {
        return jdbc.sql("SELECT COUNT(*) FROM workflows WHERE state = 'RUNNING'").query(Long.class).single();
    }

    @Override
    public int deleteWorkflowsFinishedBefore(Instant cutoff, int limit) {
        return write(() -> workflows.deleteFinishedBefore(cutoff, limit));
    }

    // --- queues ---------------------------------------------------------------------------------

    @Override
    public void pauseQueue(String name, boolean paused, Instant now) {
        write(() -> {
            queues.pause(name, paused, now);
            if (!paused) {
                dialect.notify(jdbcTemplate, PostgresNotifications.JOBS_CHANNEL, null);
            }
            return null;
        }, true);
    }

    @Override
    public List<dev.spindle.queue.QueueCounts> queueCounts(Collection<String> configured, Instant now) {
        return queues.counts(configured, now);
    }

    // --- schedules ------------------------------------------------------------------------------

    @Override
    public boolean insertSchedule(String name, ScheduleDefinition definition, ScheduleSource source,
            @Nullable String submittedBy, @Nullable Instant next, Instant now) {
        return write(() -> schedules.insert(name, definition, source, submittedBy, next, now), true);
    }

    @Override
    public Optional<Schedule> findSchedule(String name) {
        return schedules.find(name);
    }

    @Override
    public List<Schedule> listSchedules() {
        return schedules.list();
    }

    @Override
    public boolean replaceSchedule(String name, long revision, ScheduleDefinition definition, ScheduleSource source,
            @Nullable String submittedBy, @Nullable Instant next, Instant now) {
        return write(() -> schedules.replace(name, revision, definition, source, submittedBy, next, now));
    }

    @Override
    public boolean deleteSchedule(String name) {
        return write(() -> schedules.delete(name));
    }

    @Override
    public List<String> deleteConfiguredExcept(Collection<String> configured) {
        return write(() -> schedules.deleteConfiguredExcept(configured));
    }

    @Override
    public boolean pauseSchedule(String name, long revision, boolean paused, @Nullable Instant next, Instant now) {
        return write(() -> schedules.pause(name, revision, paused, next, now));
    }

    @Override
    public List<Schedule> dueSchedules(Instant now, int limit) {
        return schedules.due(now, limit);
    }

    @Override
    public Optional<Instant> nextFireAt() {
        return schedules.nextFireAt();
    }

    @Override
    public int fireSchedule(ScheduleFire fire) {
        return write(() -> {
            if (!schedules.advance(fire)) {
                return -1;
            }
            if (fire.jobs().isEmpty()) {
                return 0;
            }
            insertRows(fire.jobs(), Existing.SKIP_KEY);
            // counted, not taken from the batch's update counts (a driver may not report them)
            List<String> ids = fire.jobs().stream().map(NewJob::id).toList();
            int inserted = jdbc.sql("SELECT COUNT(*) FROM jobs WHERE id IN (" + marks(ids.size()) + ")")
                .params(ids)
                .query(Integer.class)
                .single();
            schedules.fired(fire, inserted);
            return inserted;
        }, true);
    }

    @Override
    public long countSchedules(boolean paused) {
        return schedules.count(paused);
    }

    // --- output ---------------------------------------------------------------------------------

    /** Chunks deleted per statement at retention: a job's output can be thousands of rows. */
    static final int CHUNK_DELETE_BATCH = 256;

    @Override
    public void appendChunk(String jobId, long fencingToken, Stream stream, Chunk chunk) {
        // only while its attempt holds the job: a writer that lost its lease (or whose job was
        // deleted) writes nothing a reader would take for the job's output
        write(() -> jdbc.sql("""
                INSERT INTO job_chunks (job_id, fencing_token, stream, seq, start_offset, data)
                SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS
                    (SELECT 1 FROM jobs WHERE id = ? AND fencing_token = ? AND state = 'RUNNING')""")
            .params(jobId, fencingToken, stream.column, chunk.seq(), chunk.offset(), chunk.data(), jobId, fencingToken)
            .update(), true);
    }

    @Override
    public List<Chunk> chunks(String jobId, long fencingToken, Stream stream, int fromSeq, int limit) {
        return jdbc.sql("""
                SELECT seq, start_offset, data FROM job_chunks
                WHERE job_id = ? AND fencing_token = ? AND stream = ? AND seq >= ?
                ORDER BY seq LIMIT ?""")
            .params(jobId, fencingToken, stream.column, fromSeq, limit)
            .query((rs, row) -> new Chunk(rs.getInt(1), rs.getLong(2), rs.getBytes(3)))
            .list();
    }

    @Override
    public int chunkAt(String jobId, long fencingToken, Stream stream, long offset) {
        if (offset == 0) {
            return 0;
        }
        return jdbc.sql("""
                SELECT seq FROM job_chunks WHERE job_id = ? AND fencing_token = ? AND stream = ? AND start_offset <= ?
                ORDER BY seq DESC LIMIT 1""")
            .params(jobId, fencingToken, stream.column, offset)
            .query(Integer.class)
            .optional()
            .orElse(0);
    }

    @Override
    public long streamSize(String jobId, long fencingToken, Stream stream) {
        // the last chunk's end: one probe of the key's end, not a read of every chunk
        return jdbc.sql("""
                SELECT start_offset + length(data) FROM job_chunks
                WHERE job_id = ? AND fencing_token = ? AND stream = ? ORDER BY seq DESC LIMIT 1""")
            .params(jobId, fencingToken, stream.column)
            .query(Long.class)
            .optional()
            .orElse(0L);
    }

    // --- rows -----------------------------------------------------------------------------------

    private Job mapJob(ResultSet rs, int rowNum) throws SQLException {
        String errorCode = rs.getString(ERROR_CODE);
        // a job outside any workflow (most of them) has no step or parent: two column reads fewer
        String workflowId = rs.getString(WORKFLOW_ID);
        double progress = rs.getDouble(PROGRESS);
        Double progressOrNull = rs.wasNull() ? null : progress;
        String key = rs.getString(CONCURRENCY_KEY);
        return new Job(rs.getString(ID), rs.getString(TYPE), rs.getString(QUEUE), key.isEmpty() ? null : key,
                json.readTree(rs.getString(PAYLOAD)),
                JobState.valueOf(rs.getString(STATE)), rs.getInt(PRIORITY), rs.getInt(MAX_ATTEMPTS),
                Duration.ofMillis(rs.getLong(TIMEOUT_MS)), Objects.requireNonNull(dialect.instant(rs, RUN_AT)),
                rs.getString(IDEMPOTENCY_KEY), parseNullable(rs.getString(RESULT)),
                errorCode == null ? null : new JobError(errorCode, rs.getString(ERROR_MESSAGE)), progressOrNull,
                rs.getInt(ATTEMPT), rs.getLong(FENCING_TOKEN), Objects.requireNonNull(dialect.instant(rs, CREATED_AT)),
                rs.getString(SUBMITTED_BY), dialect.instant(rs, STARTED_AT), dialect.instant(rs, FINISHED_AT), rs.getString(NODE),
                workflowId, workflowId == null ? null : rs.getString(STEP_ID),
                workflowId == null ? null : rs.getString(PARENT_ID));
    }

    /** {@code n} bind markers for an {@code IN} list. */
    static String marks(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    private static int column(String name) {
        return COLUMN_LIST.indexOf(name) + 1;
    }

    private @Nullable JsonNode parseNullable(@Nullable String text) {
        return text == null ? null : json.readTree(text);
    }

    private static String truncate(String text) {
        return text.length() <= MAX_ERROR_MESSAGE ? text : text.substring(0, MAX_ERROR_MESSAGE);
    }
}
