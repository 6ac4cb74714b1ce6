package dev.spindle.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.sql.DataSource;

import dev.spindle.job.Job;
import dev.spindle.job.JobError;
import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link JobStore} on JDBC, the same SQL for H2 and PostgreSQL. Batches go through
 * {@link JdbcTemplate#batchUpdate} with explicit SQL types, so drivers need no parameter metadata.
 */
@Repository
class JdbcJobStore implements JobStore {

    private static final String COLUMNS = """
            id, type, payload, state, priority, max_attempts, attempt, timeout_ms, run_at, idempotency_key,
            result, error_code, error_message, progress, node, fencing_token, created_at, started_at, finished_at""";

    private static final int[] INSERT_TYPES = { Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR,
            Types.SMALLINT, Types.INTEGER, Types.INTEGER, Types.BIGINT, Types.TIMESTAMP_WITH_TIMEZONE, Types.VARCHAR,
            Types.TIMESTAMP_WITH_TIMEZONE };

    private static final int[] CLAIM_TYPES = { Types.TIMESTAMP_WITH_TIMEZONE, Types.VARCHAR,
            Types.TIMESTAMP_WITH_TIMEZONE, Types.VARCHAR };

    private static final String CLAIM_SET = """
            state = 'RUNNING', attempt = attempt + 1, fencing_token = fencing_token + 1, started_at = ?,
            node = ?, lease_until = ?, finished_at = NULL, progress = NULL, cancel_requested = FALSE""";

    private static final int[] COMPLETE_TYPES = { Types.VARCHAR, Types.VARCHAR, Types.VARCHAR, Types.VARCHAR,
            Types.DOUBLE, Types.TIMESTAMP_WITH_TIMEZONE, Types.INTEGER, Types.TIMESTAMP_WITH_TIMEZONE, Types.VARCHAR,
            Types.BIGINT };

    private final JdbcTemplate jdbcTemplate;

    private final JdbcClient jdbc;

    private final TransactionTemplate tx;

    private final JsonMapper json;

    private final RowMapper<Job> jobMapper = this::mapJob;

    /** Concurrent single submissions share a commit: one commit per job was the REST submit bottleneck. */
    private final GroupCommit<NewJob> inserts = new GroupCommit<>(this::insertNow, 1000);

    private final boolean postgres;

    JdbcJobStore(JdbcTemplate jdbcTemplate, TransactionTemplate tx, JsonMapper json) {
        this.jdbcTemplate = jdbcTemplate;
        this.jdbc = JdbcClient.create(jdbcTemplate);
        this.tx = tx;
        this.json = json;
        this.postgres = Databases.isPostgres(jdbcTemplate.getDataSource());
    }

    @Override
    public boolean shared() {
        return postgres;
    }

    @Override
    public void insert(List<NewJob> jobs) {
        try {
            inserts.write(jobs);
        }
        catch (DuplicateKeyException ex) {
            throw new DuplicateIdempotencyKeyException(ex);
        }
    }

    private void insertNow(List<NewJob> jobs) {
        List<Object[]> rows = new ArrayList<>(jobs.size());
        for (NewJob job : jobs) {
            rows.add(new Object[] { job.id(), job.type(), json.writeValueAsString(job.payload()), JobState.QUEUED.name(),
                    job.priority(), job.maxAttempts(), 0, job.timeout().toMillis(), timestamp(job.runAt()),
                    job.idempotencyKey(), timestamp(job.createdAt()) });
        }
        tx.executeWithoutResult(status -> {
            jdbcTemplate.batchUpdate("""
                    INSERT INTO jobs (id, type, payload, state, priority, max_attempts, attempt, timeout_ms, run_at,
                                      idempotency_key, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows, INSERT_TYPES);
            notifyJobsAvailable();
        });
    }

    /** Wakes the other nodes' dispatchers when the transaction commits (PostgreSQL only). */
    private void notifyJobsAvailable() {
        if (postgres) {
            jdbcTemplate.execute("NOTIFY " + PostgresNotifications.JOBS_CHANNEL);
        }
    }

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
        // Leading with the filtered column lets H2 walk the (state, id) or (type, id) index in
        // order; "ORDER BY id DESC" alone made it read and sort every row of the state (110,000
        // rows scanned for a 2-row page). The page order is the same.
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
    public List<QueuedJob> queued() {
        return jdbc.sql("SELECT id, priority, run_at FROM jobs WHERE state = 'QUEUED'")
            .query((rs, n) -> new QueuedJob(rs.getString(1), rs.getInt(2), instant(rs, 3)))
            .list();
    }

    @Override
    public List<Job> claim(Collection<String> ids, String node, Instant now, Instant leaseUntil) {
        if (ids.isEmpty()) {
            return List.of();
        }
        List<String> order = List.copyOf(ids);
        OffsetDateTime startedAt = timestamp(now);
        OffsetDateTime lease = timestamp(leaseUntil);
        List<Object[]> rows = order.stream().map(id -> new Object[] { startedAt, node, lease, id }).toList();
        return tx.execute(status -> {
            int[] counts = jdbcTemplate.batchUpdate("UPDATE jobs SET " + CLAIM_SET + " WHERE id = ? AND state = 'QUEUED'",
                    rows, CLAIM_TYPES);
            List<String> claimed = new ArrayList<>(order.size());
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] > 0) {
                    claimed.add(order.get(i));
                }
            }
            if (claimed.isEmpty()) {
                return List.of();
            }
            return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE id IN (:ids)")
                .param("ids", claimed)
                .query(jobMapper)
                .list();
        });
    }

    @Override
    public List<Job> claimNext(int max, String node, Instant now, Instant leaseUntil) {
        if (!postgres) {
            // H2 has no SKIP LOCKED; one process owns its file, so a plain row lock is enough
            return tx.execute(status -> claim(jdbc.sql("""
                    SELECT id FROM jobs WHERE state = 'QUEUED' AND run_at <= ?
                    ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE""")
                .params(timestamp(now), max)
                .query(String.class)
                .list(), node, now, leaseUntil));
        }
        List<Job> claimed = jdbc.sql("UPDATE jobs SET " + CLAIM_SET + """
                 WHERE id IN (SELECT id FROM jobs WHERE state = 'QUEUED' AND run_at <= ?
                              ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
                RETURNING\s""" + COLUMNS)
            .params(timestamp(now), node, timestamp(leaseUntil), timestamp(now), max)
            .query(jobMapper)
            .list();
        return claimed.stream().sorted(DISPATCH_ORDER).toList();
    }

    @Override
    public Optional<Instant> nextRunAt() {
        return jdbc.sql("SELECT MIN(run_at) FROM jobs WHERE state = 'QUEUED'")
            .query((rs, n) -> Optional.ofNullable(rs.getObject(1, OffsetDateTime.class)).map(OffsetDateTime::toInstant))
            .single();
    }

    @Override
    public long countQueued() {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state = 'QUEUED'").query(Long.class).single();
    }

    @Override
    public void complete(List<Completion> completions) {
        if (completions.isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>(completions.size());
        for (Completion c : completions) {
            JobError error = c.error();
            rows.add(new Object[] { c.state().name(), c.result() == null ? null : json.writeValueAsString(c.result()),
                    error == null ? null : error.code(), error == null ? null : truncate(error.message(), 4000),
                    c.state() == JobState.SUCCEEDED ? 1.0 : null, c.runAt() == null ? null : timestamp(c.runAt()),
                    c.refundAttempt() ? 1 : 0, c.state().isTerminal() ? timestamp(c.at()) : null, c.id(),
                    c.fencingToken() });
        }
        boolean requeues = completions.stream().anyMatch(c -> c.state() == JobState.QUEUED);
        tx.executeWithoutResult(status -> {
            jdbcTemplate.batchUpdate("""
                    UPDATE jobs SET state = ?, result = ?, error_code = ?, error_message = ?,
                                    progress = COALESCE(?, progress), run_at = COALESCE(?, run_at),
                                    attempt = attempt - ?, finished_at = ?, lease_until = NULL
                    WHERE id = ? AND state = 'RUNNING' AND fencing_token = ?""", rows, COMPLETE_TYPES);
            if (requeues) {
                notifyJobsAvailable();
            }
        });
    }

    @Override
    public void progress(String id, long fencingToken, double fraction) {
        jdbc.sql("UPDATE jobs SET progress = ? WHERE id = ? AND state = 'RUNNING' AND fencing_token = ?")
            .params(fraction, id, fencingToken)
            .update();
    }

    @Override
    public List<String> heartbeat(NodeHeartbeat beat) {
        return tx.execute(status -> {
            jdbc.sql("UPDATE jobs SET lease_until = ? WHERE node = ? AND state = 'RUNNING'")
                .params(timestamp(beat.leaseUntil()), beat.node())
                .update();
            int updated = jdbc.sql("UPDATE nodes SET heartbeat_at = ?, concurrency = ? WHERE id = ?")
                .params(timestamp(beat.now()), beat.concurrency(), beat.node())
                .update();
            if (updated == 0) {
                jdbc.sql("INSERT INTO nodes (id, started_at, heartbeat_at, concurrency) VALUES (?, ?, ?, ?)")
                    .params(beat.node(), timestamp(beat.startedAt()), timestamp(beat.now()), beat.concurrency())
                    .update();
            }
            return jdbc.sql("SELECT id FROM jobs WHERE node = ? AND state = 'RUNNING' AND cancel_requested")
                .param(beat.node())
                .query(String.class)
                .list();
        });
    }

    @Override
    public void leave(String node) {
        jdbc.sql("DELETE FROM nodes WHERE id = ?").param(node).update();
    }

    @Override
    public List<NodeView> nodes() {
        return jdbc.sql("""
                SELECT n.id, n.started_at, n.heartbeat_at, n.concurrency,
                       (SELECT COUNT(*) FROM jobs j WHERE j.node = n.id AND j.state = 'RUNNING') AS running
                FROM nodes n ORDER BY n.id""")
            .query((rs, n) -> new NodeView(rs.getString("id"), instant(rs, "started_at"), instant(rs, "heartbeat_at"),
                    rs.getInt("concurrency"), rs.getLong("running")))
            .list();
    }

    @Override
    public int reapExpired(Instant now) {
        int reaped = requeueOrFail("lease_until < ?", timestamp(now), now,
                "The lease of this attempt ran out: its node stopped renewing it");
        if (reaped > 0) {
            tx.executeWithoutResult(status -> notifyJobsAvailable());
        }
        return reaped;
    }

    /** RUNNING jobs matching {@code condition} go back to QUEUED while attempts remain, else to FAILED. */
    private int requeueOrFail(String condition, Object conditionParam, Instant now, String message) {
        return tx.execute(status -> jdbc.sql("""
                UPDATE jobs SET state = 'QUEUED', run_at = ?, error_code = ?, error_message = ?, lease_until = NULL
                WHERE state = 'RUNNING' AND attempt < max_attempts AND\s""" + condition)
            .params(timestamp(now), JobError.LEASE_EXPIRED, message, conditionParam)
            .update()
                + jdbc.sql("""
                        UPDATE jobs SET state = 'FAILED', finished_at = ?, error_code = ?, error_message = ?,
                                        lease_until = NULL
                        WHERE state = 'RUNNING' AND\s""" + condition)
                    .params(timestamp(now), JobError.LEASE_EXPIRED, message, conditionParam)
                    .update());
    }

    @Override
    public boolean requestCancel(String id) {
        return Boolean.TRUE.equals(tx.execute(status -> {
            boolean requested = jdbc.sql("UPDATE jobs SET cancel_requested = TRUE WHERE id = ? AND state = 'RUNNING'")
                .param(id)
                .update() > 0;
            if (requested && postgres) {
                jdbc.sql("SELECT pg_notify(?, ?)").params(PostgresNotifications.CANCEL_CHANNEL, id).query().rowSet();
            }
            return requested;
        }));
    }

    @Override
    public AutoCloseable subscribe(StoreListener listener) {
        if (!postgres) {
            return () -> { };
        }
        PostgresNotifications notifications = new PostgresNotifications(jdbcTemplate.getDataSource(), listener);
        notifications.start();
        return notifications::stop;
    }

    @Override
    public Optional<Job> cancelQueued(String id, Instant now) {
        return tx.execute(status -> {
            int updated = jdbc.sql("""
                    UPDATE jobs SET state = 'CANCELLED', error_code = ?, error_message = ?, finished_at = ?
                    WHERE id = ? AND state = 'QUEUED'""")
                .params(JobError.CANCELLED, "Cancelled before it started", timestamp(now), id)
                .update();
            return updated == 0 ? Optional.<Job>empty() : find(id);
        });
    }

    @Override
    public Optional<Job> requeue(String id, Instant now) {
        return tx.execute(status -> {
            int updated = jdbc.sql("""
                    UPDATE jobs SET state = 'QUEUED', run_at = ?, attempt = 0, result = NULL, error_code = NULL,
                                    error_message = NULL, progress = NULL, started_at = NULL, finished_at = NULL,
                                    node = NULL
                    WHERE id = ? AND state IN ('FAILED', 'CANCELLED')""")
                .params(timestamp(now), id)
                .update();
            return updated == 0 ? Optional.<Job>empty() : find(id);
        });
    }

    @Override
    public int recoverRunning(Instant now) {
        return requeueOrFail("1 = ?", 1, now, "The node running this attempt stopped without finishing it");
    }

    @Override
    public int deleteFinishedBefore(Instant cutoff, int limit) {
        // ids first, then delete by primary key: H2 runs DELETE … WHERE id IN (subquery) row by row
        return tx.execute(status -> {
            List<String> ids = jdbc.sql("SELECT id FROM jobs WHERE finished_at < ? ORDER BY finished_at LIMIT ?")
                .params(timestamp(cutoff), limit)
                .query(String.class)
                .list();
            return ids.isEmpty() ? 0 : jdbc.sql("DELETE FROM jobs WHERE id IN (:ids)").param("ids", ids).update();
        });
    }

    private Job mapJob(ResultSet rs, int rowNum) throws SQLException {
        String errorCode = rs.getString("error_code");
        double progress = rs.getDouble("progress");
        Double progressOrNull = rs.wasNull() ? null : progress;
        return new Job(rs.getString("id"), rs.getString("type"), parse(rs.getString("payload")),
                JobState.valueOf(rs.getString("state")), rs.getInt("priority"), rs.getInt("max_attempts"),
                Duration.ofMillis(rs.getLong("timeout_ms")), instant(rs, "run_at"), rs.getString("idempotency_key"),
                parseNullable(rs.getString("result")),
                errorCode == null ? null : new JobError(errorCode, rs.getString("error_message")), progressOrNull,
                rs.getInt("attempt"), rs.getLong("fencing_token"), instant(rs, "created_at"), nullableInstant(rs, "started_at"),
                nullableInstant(rs, "finished_at"), rs.getString("node"));
    }

    private static final java.util.Comparator<Job> DISPATCH_ORDER = java.util.Comparator.comparingInt(Job::priority)
        .reversed()
        .thenComparing(Job::runAt)
        .thenComparing(Job::id);

    private JsonNode parse(String text) {
        return json.readTree(text);
    }

    private @Nullable JsonNode parseNullable(@Nullable String text) {
        return text == null ? null : parse(text);
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    private static @Nullable Instant nullableInstant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }
}
