package dev.spindle.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.spindle.job.Job;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On PostgreSQL the writes of one instance that take row locks of many jobs at once, the
 * completion of a batch of attempts and the heartbeat's lease renewal, run side by side (the
 * completion writer and the housekeeping thread); they must not deadlock each other. A deadlock
 * fails one of them: completions are retried after a pause (and the pool logs a store outage),
 * a heartbeat misses its round, a cancel caught in one answers 503.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresLockOrderTests {

    private static final String SCHEMA = "spindle_lock_order_tests";

    private static final String INSTANCE = "instance-1";

    private static final int JOBS = 50;

    private static final int ROUNDS = 40;

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

    private JobStore store;

    @BeforeEach
    void createStore() {
        String url = System.getenv("SPINDLE_TEST_POSTGRES_URL");
        String user = System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres");
        String password = System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", "");
        new JdbcTemplate(new SimpleDriverDataSource(new org.postgresql.Driver(), url, user, password))
            .execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
        DataSource dataSource = new SimpleDriverDataSource(new org.postgresql.Driver(),
                url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA, user, password);
        store = TestStores.emptyStore(dataSource);
    }

    @Test
    void completionsAndTheHeartbeatOfOneInstanceDoNotDeadlock() throws Exception {
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
            for (int round = 0; round < ROUNDS; round++) {
                List<NewJob> jobs = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    jobs.add(new NewJobBuilder(now).build());
                }
                store.insert(jobs);
                List<Job> claimed = store.claim(JOBS, new Lease("node-1", INSTANCE, now.plusSeconds(30)), now);
                assertThat(claimed).hasSize(JOBS);
                // attempts end in any order; here the reverse of the order they were claimed in
                List<Completion> completions = new ArrayList<>();
                for (Job job : claimed) {
                    completions.add(Completion.succeeded(job.id(), job.fencingToken(), TestStores.JSON.readTree("{}"),
                            now.plusMillis(1)));
                }
                Collections.reverse(completions);
                List<String> running = claimed.stream().map(Job::id).toList();
                CountDownLatch go = new CountDownLatch(1);
                Future<?> heartbeats = threads.submit(() -> {
                    go.await();
                    for (int i = 0; i < 3; i++) {
                        store.heartbeat(new NodeHeartbeat(INSTANCE, "node-1", now, Instant.now(),
                                Instant.now().plusSeconds(30), 8, now.minusSeconds(600), running));
                    }
                    return null;
                });
                Future<List<Completion>> completing = threads.submit(() -> {
                    go.await();
                    return store.complete(INSTANCE, completions, List.of());
                });
                go.countDown();

                assertThat(completing.get(30, TimeUnit.SECONDS)).as("round %d", round).hasSize(JOBS);
                heartbeats.get(30, TimeUnit.SECONDS);
            }
        }
    }
}
