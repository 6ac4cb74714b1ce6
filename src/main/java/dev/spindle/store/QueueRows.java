package dev.spindle.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.spindle.config.QueueProperties;
import dev.spindle.config.QueueProperties.Queue;
import dev.spindle.queue.QueueCounts;

import org.springframework.jdbc.core.simple.JdbcClient;

/** The SQL of queues: the pause switch and the counts per queue. Called by {@link JdbcJobStore}. */
final class QueueRows {

    private final JdbcClient jdbc;

    private final Dialect dialect;

    private final QueueProperties config;

    QueueRows(JdbcClient jdbc, Dialect dialect, QueueProperties config) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.config = config;
    }

    void pause(String name, boolean paused, Instant now) {
        jdbc.sql("""
                INSERT INTO queues (name, paused, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at""")
            .params(name, paused, dialect.instant(now))
            .update();
    }

    List<QueueCounts> counts(Collection<String> configured, Instant now) {
        Object at = dialect.instant(now);
        Map<String, long[]> queued = new HashMap<>();
        jdbc.sql("""
                SELECT queue, COUNT(*), SUM(CASE WHEN run_at <= ? THEN 1 ELSE 0 END)
                FROM jobs WHERE state = 'QUEUED' GROUP BY queue""")
            .param(at)
            .query(rs -> {
                queued.put(rs.getString(1), new long[] { rs.getLong(2), rs.getLong(3) });
            });
        Map<String, Long> running = countIn("RUNNING");
        Map<String, Long> waiting = countIn("WAITING");
        Set<String> paused = new HashSet<>(jdbc.sql("SELECT name FROM queues WHERE paused").query(String.class).list());
        Set<String> names = new TreeSet<>(configured);
        names.addAll(queued.keySet());
        names.addAll(running.keySet());
        names.addAll(waiting.keySet());
        names.addAll(paused);
        List<QueueCounts> counts = new ArrayList<>(names.size());
        for (String name : names) {
            long[] q = queued.getOrDefault(name, new long[2]);
            long run = running.getOrDefault(name, 0L);
            counts.add(new QueueCounts(name, q[0], q[1], run, waiting.getOrDefault(name, 0L),
                    q[1] == 0 ? 0 : heldBack(name, q[1], run, at), paused.contains(name)));
        }
        return counts;
    }

    private Map<String, Long> countIn(String state) {
        Map<String, Long> counts = new HashMap<>();
        jdbc.sql("SELECT queue, COUNT(*) FROM jobs WHERE state = ? GROUP BY queue")
            .param(state)
            .query(rs -> {
                counts.put(rs.getString(1), rs.getLong(2));
            });
        return counts;
    }

    /** The due jobs of a queue its cluster-wide limits hold back: all of them at its limit, else those of keys at theirs. */
    private long heldBack(String name, long due, long running, Object at) {
        Queue limits = config.queue(name);
        if (limits.maxRunning() != null && running >= limits.maxRunning()) {
            return due;
        }
        Integer perKey = limits.maxRunningPerKey();
        if (perKey == null) {
            return 0;
        }
        return jdbc.sql("""
                SELECT COALESCE(SUM(q.due), 0) FROM
                    (SELECT concurrency_key, COUNT(*) AS due FROM jobs
                     WHERE state = 'QUEUED' AND queue = ? AND run_at <= ? GROUP BY concurrency_key) q
                JOIN (SELECT concurrency_key, COUNT(*) AS running FROM jobs
                      WHERE state = 'RUNNING' AND queue = ? GROUP BY concurrency_key) r
                  ON r.concurrency_key = q.concurrency_key
                WHERE r.running >= ?""")
            .params(name, at, name, perKey)
            .query(Long.class)
            .single();
    }
}
