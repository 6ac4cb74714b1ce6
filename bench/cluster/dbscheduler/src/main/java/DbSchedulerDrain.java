// The db-scheduler anchor of the cluster benchmarks (bench/cluster/run.sh scenario 6): how fast
// db-scheduler 16.7.1 (the core artifact, no Spring) drains one-time no-op executions from this
// machine's PostgreSQL, for Spindle's drain to be compared with in the same run.
//
//   java -cp 'target/dbscheduler-drain.jar:target/lib/*' DbSchedulerDrain \
//       --url jdbc:postgresql://127.0.0.1:5432/DB --expect N [--user postgres] [--threads 20] \
//       [--lower 0.5] [--upper 1.0] [--polling-interval-ms 1000] [--timeout 300]
//
// The database must hold db-scheduler's table (postgresql_tables.sql) with N executions of the
// task "noop" due now, e.g.
//
//   INSERT INTO scheduled_tasks (task_name, task_instance, execution_time, picked, version, priority)
//   SELECT 'noop', 'job-' || i, now() - interval '1 second', false, 1, 0 FROM generate_series(1, N) AS i;
//
// Builds a scheduler the way its README shows: Scheduler.create(HikariCP data source, one-time
// task).threads(T).pollUsingLockAndFetch(lower, upper) (select for update skip locked, one
// statement per fetch; a fetch takes upper x T executions and the next one is triggered when at
// most lower x T are left), pool of T + 4 connections, autocommit. The handler does nothing but
// count. Timing: from scheduler.start() (and from the first execution) until the table is empty,
// i.e. every execution's completion (the delete of a one-time execution) is committed; the table
// is polled with count(*) only after the handler has run N times, and those polls are reported as
// tool_statements (to subtract from a pg_stat_database commit count). rate_steady leaves out the
// JVM's warm-up: the executions after the first 5 % ÷ the time from the (N/20)-th execution to the
// end (Spindle's drain figure likewise leaves out the jobs done before its instance was ready).
//
// Prints one line of key=value pairs: jobs, threads, lower, upper, first_exec_ms (start -> first
// execution), seconds_from_start, seconds_from_first, rate_from_start, rate_from_first,
// rate_steady, handler_done_ms (start -> N-th handler call), tool_statements.
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

public class DbSchedulerDrain {

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        String url = require(opt, "url");
        int expect = Integer.parseInt(require(opt, "expect"));
        String user = opt.getOrDefault("user", "postgres");
        int threads = Integer.parseInt(opt.getOrDefault("threads", "20"));
        double lower = Double.parseDouble(opt.getOrDefault("lower", "0.5"));
        double upper = Double.parseDouble(opt.getOrDefault("upper", "1.0"));
        long pollingMs = Long.parseLong(opt.getOrDefault("polling-interval-ms", "1000"));
        long timeoutS = Long.parseLong(opt.getOrDefault("timeout", "300"));

        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword("");
        hc.setMaximumPoolSize(threads + 4);
        hc.setMinimumIdle(threads + 4);
        hc.setPoolName("dbscheduler-drain");

        AtomicInteger executed = new AtomicInteger();
        AtomicLong firstExec = new AtomicLong();
        AtomicLong handlerDone = new AtomicLong();
        AtomicLong warm = new AtomicLong();
        int warmCount = Math.max(1, expect / 20);
        CountDownLatch all = new CountDownLatch(1);
        OneTimeTask<Void> noop = Tasks.oneTime("noop").execute((instance, ctx) -> {
            long now = System.nanoTime();
            firstExec.compareAndSet(0, now);
            int n = executed.incrementAndGet();
            if (n == warmCount) {
                warm.set(now);
            }
            if (n == expect) {
                handlerDone.set(now);
                all.countDown();
            }
        });

        long polls = 0;
        long start;
        long end;
        try (HikariDataSource ds = new HikariDataSource(hc)) {
            Scheduler scheduler = Scheduler.create(ds, noop)
                .threads(threads)
                .pollUsingLockAndFetch(lower, upper)
                .pollingInterval(Duration.ofMillis(pollingMs))
                .schedulerName(new SchedulerName.Fixed("bench"))
                .build();
            start = System.nanoTime();
            scheduler.start();
            try {
                if (!all.await(timeoutS, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("only " + executed.get() + " of " + expect + " executions ran in "
                            + timeoutS + " s");
                }
                // the handler has run N times; done when every completion (delete) is committed
                try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                    while (true) {
                        polls++;
                        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM scheduled_tasks")) {
                            rs.next();
                            if (rs.getLong(1) == 0) {
                                break;
                            }
                        }
                        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(timeoutS)) {
                            throw new IllegalStateException("executions left in scheduled_tasks after " + timeoutS + " s");
                        }
                        Thread.sleep(5);
                    }
                }
                end = System.nanoTime();
            }
            finally {
                scheduler.stop();
            }
        }
        if (executed.get() != expect) {
            throw new IllegalStateException("the handler ran " + executed.get() + " times for " + expect + " executions");
        }
        double fromStart = (end - start) / 1e9;
        double fromFirst = (end - firstExec.get()) / 1e9;
        System.out.printf(
                "jobs=%d threads=%d lower=%s upper=%s first_exec_ms=%.0f seconds_from_start=%.3f seconds_from_first=%.3f rate_from_start=%.0f rate_from_first=%.0f rate_steady=%.0f handler_done_ms=%.0f tool_statements=%d%n",
                expect, threads, lower, upper, (firstExec.get() - start) / 1e6, fromStart, fromFirst, expect / fromStart,
                expect / fromFirst, (expect - warmCount) / ((end - warm.get()) / 1e9), (handlerDone.get() - start) / 1e6,
                polls);
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
