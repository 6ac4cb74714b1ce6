// Raw JDBC anchor for the cluster benchmarks: how fast PostgreSQL on this machine drains a jobs
// table with the claim SQL Spindle uses, with no service around it.
//
//   $JDK/bin/java -cp postgresql.jar bench/cluster/ClaimHarness.java \
//       --url 'jdbc:postgresql://127.0.0.1:5432/DB' [--schema harness] [--like spindle.jobs] \
//       [--rows 200000] [--batch 100] [--indexes claim|spindle] [--claim-commit sync|async]
//
// Creates <schema>.jobs shaped like Spindle's table (CREATE TABLE ... (LIKE <like> INCLUDING
// DEFAULTS) when --like is given, else the same columns spelled out), fills it with <rows> QUEUED
// rows in one INSERT ... SELECT generate_series, VACUUM ANALYZEs it, then ONE thread loops:
//
//   claim:    UPDATE jobs SET state = 'RUNNING', ... WHERE id IN (SELECT id FROM jobs
//             WHERE state = 'QUEUED' AND run_at <= now() ORDER BY priority DESC, run_at, id
//             LIMIT <batch> FOR UPDATE SKIP LOCKED) RETURNING id;              commit
//   complete: UPDATE jobs SET state = 'SUCCEEDED', ... WHERE id = ? AND state = 'RUNNING'
//             as one JDBC batch for the claimed ids;                           commit
//
// until the claim returns nothing. Indexes: "claim" = primary key + the partial claim index
// (priority DESC, run_at, id) WHERE state = 'QUEUED' (the shape MACHINE.md measured); "spindle"
// = every index Spindle's migrations put on jobs, so the schema's own cost can be told apart
// from the service's.
//
// --claim-commit async commits the claims with SET LOCAL synchronous_commit = off (a diagnostic:
// what the claim costs without waiting for its WAL flush; completions stay synchronous).
//
// Prints one line of key=value pairs: rows, seconds, jobs_per_s, commits, commits_per_job.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class ClaimHarness {

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        String url = require(opt, "url");
        String schema = opt.getOrDefault("schema", "harness");
        String like = opt.get("like");
        int rows = Integer.parseInt(opt.getOrDefault("rows", "200000"));
        int batch = Integer.parseInt(opt.getOrDefault("batch", "100"));
        String indexes = opt.getOrDefault("indexes", "claim");
        String user = opt.getOrDefault("user", "postgres");
        boolean asyncClaims = opt.getOrDefault("claim-commit", "sync").equals("async");

        try (Connection c = DriverManager.getConnection(url, user, "")) {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                s.execute("CREATE SCHEMA " + schema);
                String t = schema + ".jobs";
                if (like != null) {
                    s.execute("CREATE TABLE " + t + " (LIKE " + like + " INCLUDING DEFAULTS)");
                }
                else {
                    s.execute("""
                            CREATE TABLE %s (
                                id VARCHAR(36) NOT NULL, type VARCHAR(100) NOT NULL, payload VARCHAR(1048576) NOT NULL,
                                state VARCHAR(16) NOT NULL, priority SMALLINT NOT NULL, max_attempts INTEGER NOT NULL,
                                attempt INTEGER NOT NULL, timeout_ms BIGINT NOT NULL, run_at TIMESTAMPTZ NOT NULL,
                                idempotency_key VARCHAR(255), result VARCHAR(1048576), error_code VARCHAR(64),
                                error_message VARCHAR(4000), progress DOUBLE PRECISION, node VARCHAR(255),
                                created_at TIMESTAMPTZ NOT NULL, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
                                lease_until TIMESTAMPTZ, fencing_token BIGINT DEFAULT 0 NOT NULL,
                                cancel_requested BOOLEAN DEFAULT FALSE NOT NULL)""".formatted(t));
                }
                s.execute("ALTER TABLE " + t + " ADD PRIMARY KEY (id)");
                s.execute("CREATE INDEX ON " + t + " (priority DESC, run_at, id) WHERE state = 'QUEUED'");
                if (indexes.equals("spindle")) {
                    s.execute("ALTER TABLE " + t + " ADD UNIQUE (idempotency_key)");
                    s.execute("CREATE INDEX ON " + t + " (state, id)");
                    s.execute("CREATE INDEX ON " + t + " (type, id)");
                    s.execute("CREATE INDEX ON " + t + " (finished_at)");
                    s.execute("CREATE INDEX ON " + t + " (lease_until) WHERE state = 'RUNNING'");
                    s.execute("CREATE INDEX ON " + t + " (node) WHERE cancel_requested");
                    s.execute("CREATE INDEX ON " + t + " (run_at) WHERE state = 'QUEUED'");
                }
                else if (!indexes.equals("claim")) {
                    throw new IllegalArgumentException("--indexes claim|spindle");
                }
                s.execute("""
                        INSERT INTO %s (id, type, payload, state, priority, max_attempts, attempt, timeout_ms, run_at,
                                        created_at, fencing_token, cancel_requested)
                        SELECT md5('harness-' || i)::uuid::text, 'noop', '{}', 'QUEUED', 5, 3, 0, 30000,
                               now() - interval '1 second', now(), 0, false
                        FROM generate_series(1, %d) AS i""".formatted(t, rows));
                s.execute("VACUUM ANALYZE " + t);
            }
        }

        String t = schema + ".jobs";
        String claimSql = """
                UPDATE %s SET state = 'RUNNING', attempt = attempt + 1, fencing_token = fencing_token + 1,
                              started_at = now(), node = 'harness', lease_until = now() + interval '30 seconds'
                WHERE id IN (SELECT id FROM %s WHERE state = 'QUEUED' AND run_at <= now()
                             ORDER BY priority DESC, run_at, id LIMIT %d FOR UPDATE SKIP LOCKED)
                RETURNING id""".formatted(t, t, batch);
        String completeSql = """
                UPDATE %s SET state = 'SUCCEEDED', result = 'null', progress = 1.0, finished_at = now(),
                              lease_until = NULL
                WHERE id = ? AND state = 'RUNNING'""".formatted(t);

        long done = 0;
        long commits = 0;
        long start;
        long end;
        try (Connection c = DriverManager.getConnection(url, user, "")) {
            c.setAutoCommit(false);
            try (PreparedStatement claim = c.prepareStatement(claimSql);
                    PreparedStatement complete = c.prepareStatement(completeSql);
                    Statement local = c.createStatement()) {
                start = System.nanoTime();
                while (true) {
                    if (asyncClaims) {
                        local.execute("SET LOCAL synchronous_commit = off");
                    }
                    List<String> ids = new ArrayList<>(batch);
                    try (ResultSet rs = claim.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getString(1));
                        }
                    }
                    c.commit();
                    commits++;
                    if (ids.isEmpty()) {
                        break;
                    }
                    for (String id : ids) {
                        complete.setString(1, id);
                        complete.addBatch();
                    }
                    int[] counts = complete.executeBatch();
                    c.commit();
                    commits++;
                    for (int n : counts) {
                        done += n;
                    }
                }
                end = System.nanoTime();
            }
        }
        if (done != rows) {
            throw new SQLException("completed " + done + " of " + rows + " rows");
        }
        double seconds = (end - start) / 1e9;
        System.out.printf("rows=%d seconds=%.3f jobs_per_s=%.0f commits=%d commits_per_job=%.4f%n", done, seconds,
                done / seconds, commits, (double) commits / done);
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            opt.put(args[i].substring(2), i + 1 < args.length ? args[++i] : "");
        }
        return opt;
    }

    static String require(Map<String, String> opt, String key) {
        String value = opt.get(key);
        if (value == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return value;
    }
}
