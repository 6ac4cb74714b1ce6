package dev.spindle.job;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import dev.spindle.pool.WorkerPool;
import dev.spindle.store.JobStore;
import dev.spindle.store.Lease;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A cancel sent at racing moments, many times over, on both stores: while an attempt runs, just
 * as it fails and is re-queued for a retry, as it times out, as it is deferred, and as its lease
 * runs out and the reaper takes it. Whichever wins, every job ends CANCELLED, is never claimed
 * again after the cancel was answered (202 or 200), and no handler run starts after that answer.
 * The {@code race} handler counts every run with its attempt, fencing token and start time.
 *
 * <p>Also: a cancel of the attempt that follows a retry interrupts it while it runs.
 */
class CancelRaceTests {

    private static final int CLIENTS = 8;

    /** Iterations per way of ending an attempt; 200 in all. */
    private static final Map<Variant, Integer> ITERATIONS = Map.of(Variant.RETRY, 50, Variant.TIMEOUT, 40,
            Variant.DEFERRAL, 40, Variant.RUNNING, 20, Variant.LEASE, 50);

    private static final int LEASE_BATCH = 10;

    /** A ghost process's lease: it claims the jobs and dies, and the app's reaper (every 50 ms) takes them. */
    private static final Duration GHOST_LEASE = Duration.ofMillis(200);

    /** Rounds of retried jobs cancelled while their second attempt runs, and jobs per round. */
    private static final int RETRIED_ROUNDS = 20;

    private static final int RETRIED_BATCH = 8;

    private static final String SCHEMA = "spindle_cancel_race_tests";

    @TempDir
    Path dir;

    enum Variant {
        /** fails at once and is retried at once, 100 attempts: the cancel lands anywhere in the cycle */
        RETRY("{\"type\": \"race\", \"payload\": {\"mode\": \"fail\"}, \"maxAttempts\": 100}"),
        /** hangs past a 20 ms timeout and is retried: the cancel lands around the timeout */
        TIMEOUT("{\"type\": \"race\", \"payload\": {\"mode\": \"hang\"}, \"maxAttempts\": 100, \"timeout\": \"PT0.02S\"}"),
        /** deferred at once for 1 ms, over and over (no attempt counts) */
        DEFERRAL("{\"type\": \"race\", \"payload\": {\"mode\": \"defer\"}}"),
        /** hangs until interrupted: the cancel comes while it runs */
        RUNNING("{\"type\": \"race\", \"payload\": {\"mode\": \"hang\"}}"),
        /** claimed by a process that dies at once: the cancel lands around its lease's expiry */
        LEASE("{\"type\": \"race\", \"payload\": {\"mode\": \"hang\"}, \"priority\": 9, \"delay\": \"PT1H\"}");

        final String json;

        Variant(String json) {
            this.json = json;
        }
    }

    record Cancel(String id, Variant variant, int status, long answeredNanos, JsonNode answer) {
    }

    @Test
    void cancelsStickOnTheEmbeddedStore() throws Exception {
        try (ConfigurableApplicationContext app = start("--spring.datasource.url=jdbc:sqlite:"
                + dir.resolve("spindle.db").toAbsolutePath(), "--spindle.store.sqlite.synchronous=NORMAL")) {
            race(app);
        }
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
            disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
    void cancelsStickOnPostgres() throws Exception {
        String url = System.getenv("SPINDLE_TEST_POSTGRES_URL");
        String user = System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres");
        String password = System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", "");
        try (Connection connection = DriverManager.getConnection(url, user, password)) {
            JdbcClient.create(new SingleConnectionDataSource(connection, true))
                .sql("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE")
                .update();
        }
        try (ConfigurableApplicationContext app = start(
                "--spring.datasource.url=" + url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA,
                "--spring.datasource.username=" + user, "--spring.datasource.password=" + password,
                "--spring.flyway.schemas=" + SCHEMA)) {
            race(app);
        }
    }

    private void race(ConfigurableApplicationContext app) throws Exception {
        Api api = new Api(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
        RaceHandler handler = app.getBean(RaceHandler.class);
        JobStore store = app.getBean(JobStore.class);
        WorkerPool pool = app.getBean(WorkerPool.class);
        List<Cancel> cancels = new CopyOnWriteArrayList<>();
        Map<Integer, AtomicInteger> retried = new ConcurrentHashMap<>();
        long began = System.nanoTime();
        try (ScheduledExecutorService timer = Executors.newScheduledThreadPool(4);
                ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> work = new ArrayList<>();
            for (Variant variant : List.of(Variant.RETRY, Variant.TIMEOUT, Variant.DEFERRAL, Variant.RUNNING)) {
                for (int i = 0; i < ITERATIONS.get(variant); i++) {
                    work.add(clients.submit(() -> {
                        String id = api.submit(variant.json);
                        handler.started(id).get(20, TimeUnit.SECONDS);
                        long delayMicros = switch (variant) {
                            case RETRY, DEFERRAL -> ThreadLocalRandom.current().nextLong(2_000);
                            case TIMEOUT -> ThreadLocalRandom.current().nextLong(40_000);
                            default -> 0;
                        };
                        cancels.add(timer.schedule(() -> cancel(api, id, variant, retried), delayMicros,
                                TimeUnit.MICROSECONDS).get(20, TimeUnit.SECONDS));
                        return null;
                    }));
                }
            }
            // the ghost claims, a batch at a time (the only jobs of priority 9 in the store)
            for (int batch = 0; batch < ITERATIONS.get(Variant.LEASE) / LEASE_BATCH; batch++) {
                Response submitted = api.post("/api/v1/jobs/batch",
                        "{\"jobs\": [" + String.join(",", Collections.nCopies(LEASE_BATCH, Variant.LEASE.json)) + "]}");
                assertThat(submitted.status()).as(submitted.raw().body()).isEqualTo(202);
                List<String> ids = submitted.body().path("jobs").valueStream().map(job -> job.path("id").asString()).toList();
                Instant now = Instant.now();
                List<Job> claimed = store.claim(LEASE_BATCH, new Lease("ghost", "ghost-" + batch, now.plus(GHOST_LEASE)),
                        now.plus(Duration.ofHours(2)));
                assertThat(claimed).extracting(Job::id).containsExactlyInAnyOrderElementsOf(ids);
                List<Future<Cancel>> batchCancels = new ArrayList<>();
                for (String id : ids) {
                    // from well before the lease runs out to after the reaper (50 ms rounds) took it
                    long at = ThreadLocalRandom.current().nextLong(100_000, 350_000);
                    batchCancels.add(timer.schedule(() -> cancel(api, id, Variant.LEASE, retried), at, TimeUnit.MICROSECONDS));
                }
                for (Future<Cancel> cancel : batchCancels) {
                    cancels.add(cancel.get(20, TimeUnit.SECONDS));
                }
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> ids.stream().allMatch(id -> store.find(id).orElseThrow().state().isTerminal()));
            }
            for (Future<?> done : work) {
                done.get(60, TimeUnit.SECONDS);
            }
        }
        int total = ITERATIONS.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(cancels).hasSize(total);
        await().atMost(Duration.ofSeconds(30))
            .until(() -> cancels.stream().allMatch(cancel -> store.find(cancel.id()).orElseThrow().state().isTerminal()));
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().running() == 0);

        SoftAssertions softly = new SoftAssertions();
        Map<Variant, Map<Integer, Integer>> statuses = new ConcurrentHashMap<>();
        for (Cancel cancel : cancels) {
            statuses.computeIfAbsent(cancel.variant(), v -> new ConcurrentHashMap<>()).merge(cancel.status(), 1, Integer::sum);
            String what = cancel.variant() + " job " + cancel.id() + " (cancel answered " + cancel.status() + ": "
                    + cancel.answer() + ")";
            softly.assertThat(cancel.status()).as(what).isIn(200, 202);
            if (cancel.variant() == Variant.RUNNING) {
                softly.assertThat(cancel.status()).as(what).isEqualTo(202);
            }
            Job job = store.find(cancel.id()).orElseThrow();
            softly.assertThat(job.state()).as(what).isEqualTo(JobState.CANCELLED);
            softly.assertThat(job.error()).as(what).extracting(JobError::code).isEqualTo(JobError.CANCELLED);
            softly.assertThat(job.fencingToken()).as(what + ": claimed again after the cancel was answered")
                .isEqualTo(cancel.answer().path("fencingToken").asLong());
            List<RaceHandler.Run> runs = handler.runs.getOrDefault(cancel.id(), List.of());
            softly.assertThat(runs).as(what + ": handler runs that started after the cancel was answered")
                .filteredOn(run -> run.startedNanos() - cancel.answeredNanos() > 0)
                .isEmpty();
            softly.assertThat(runs).as(what + ": one run per claim").extracting(RaceHandler.Run::fencingToken)
                .doesNotHaveDuplicates();
            if (cancel.variant() == Variant.RUNNING) {
                softly.assertThat(runs).as(what).hasSize(1);
            }
        }
        System.out.printf("%d cancels in %d ms; answers by variant %s; sent again after (status=times) %s%n",
                cancels.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), statuses, retried);
        softly.assertAll();
    }

    /**
     * The attempt after a retry is cancelled while it runs: the cancel must interrupt it then, not
     * when its timeout (30 s) ends it. Other jobs deferred every millisecond keep the dispatcher
     * claiming while completions are being written, as on a busy node: the dispatcher often claims
     * the retried job again before the writer has handed on the failed attempt's completion.
     */
    @Test
    void aCancelInterruptsTheAttemptThatFollowsARetry() throws Exception {
        try (ConfigurableApplicationContext app = start(List.of("--spring.datasource.url=jdbc:sqlite:"
                + dir.resolve("spindle.db").toAbsolutePath(), "--spindle.store.sqlite.synchronous=NORMAL"), "0ms")) {
            Api api = new Api(Integer.parseInt(app.getEnvironment().getProperty("local.server.port")));
            RaceHandler handler = app.getBean(RaceHandler.class);
            List<String> busy = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                busy.add(api.submit(Variant.DEFERRAL.json));
            }
            String failOnce = "{\"type\": \"race\", \"payload\": {\"mode\": \"failOnce\"}, \"timeout\": \"PT30S\"}";
            for (int round = 0; round < RETRIED_ROUNDS; round++) {
                Response submitted = api.post("/api/v1/jobs/batch",
                        "{\"jobs\": [" + String.join(",", Collections.nCopies(RETRIED_BATCH, failOnce)) + "]}");
                assertThat(submitted.status()).as(submitted.raw().body()).isEqualTo(202);
                List<String> ids = submitted.body().path("jobs").valueStream().map(job -> job.path("id").asString()).toList();
                for (String id : ids) {
                    handler.hanging(id).get(20, TimeUnit.SECONDS);
                }
                for (String id : ids) {
                    Response cancel = api.post("/api/v1/jobs/" + id + "/cancel", "");
                    assertThat(cancel.status()).as(cancel.raw().body()).isEqualTo(202);
                }
                for (String id : ids) {
                    JsonNode job = api.get("/api/v1/jobs/" + id + "?wait=PT3S").body();
                    assertThat(job.path("state").asString())
                        .as("round %d: job %s, cancelled while its attempt %d (after a retry) ran, is still not "
                                + "interrupted 3 s later: %s", round, id, job.path("attempt").asInt(), job)
                        .isEqualTo("CANCELLED");
                    assertThat(job.path("attempt").asInt()).isEqualTo(2);
                    assertThat(handler.interrupted).contains(id);
                }
            }
            for (String id : busy) {
                assertThat(api.post("/api/v1/jobs/" + id + "/cancel", "").status()).isIn(200, 202);
            }
        }
    }

    /**
     * Sends the cancel and notes when it was answered. Two answers say "try again", and a client
     * does: a 409 saying the job kept changing state (it moved between QUEUED and RUNNING on every
     * pass), and a 503 saying the store changed nothing (on PostgreSQL, a deadlock, see
     * {@code PostgresLockOrderTests}). They are counted and the cancel is sent again.
     */
    private static Cancel cancel(Api api, String id, Variant variant, Map<Integer, AtomicInteger> retried) {
        for (int i = 0; ; i++) {
            Response response = api.post("/api/v1/jobs/" + id + "/cancel", "");
            long answered = System.nanoTime();
            boolean again = response.status() == 409 && response.raw().body().contains("kept changing state")
                    || response.status() == 503 && response.raw().body().contains("nothing was changed");
            if (again && i < 20) {
                retried.computeIfAbsent(response.status(), status -> new AtomicInteger()).incrementAndGet();
                continue;
            }
            return new Cancel(id, variant, response.status(), answered, response.body());
        }
    }

    private static ConfigurableApplicationContext start(String... store) {
        return start(List.of(store), "1ms");
    }

    /** @param backoff the delay before every retry (with jitter, between half of it and all of it) */
    private static ConfigurableApplicationContext start(List<String> store, String backoff) {
        List<String> args = new ArrayList<>(store);
        args.addAll(List.of("--spindle.node-id=race", "--spindle.pool.concurrency=16",
                "--spindle.jobs.retry-initial-backoff=" + backoff, "--spindle.jobs.retry-multiplier=1.0",
                "--spindle.jobs.retry-max-backoff=" + backoff, "--spindle.cluster.heartbeat-interval=50ms",
                "--spindle.cluster.lease-ttl=2s", "--spindle.pool.shutdown-grace=200ms"));
        return new SpringApplicationBuilder(SpindleApplication.class, TestHandlers.class, RaceHandlers.class)
            .profiles("test")
            .run(args.toArray(String[]::new));
    }

    /** Not a {@code @Configuration}: the component scan of other tests' contexts would pick it up. */
    static class RaceHandlers {

        @Bean
        RaceHandler raceHandler() {
            return new RaceHandler();
        }
    }

    /**
     * {@code race}: records every run (attempt, fencing token, start), then fails ({@code fail}),
     * defers itself for a millisecond ({@code defer}), or waits until interrupted ({@code hang}).
     */
    static final class RaceHandler implements JobHandler {

        record Run(int attempt, long fencingToken, long startedNanos) {
        }

        final Map<String, List<Run>> runs = new ConcurrentHashMap<>();

        /** Jobs whose hanging run was interrupted. */
        final Set<String> interrupted = ConcurrentHashMap.newKeySet();

        private final Map<String, CompletableFuture<Void>> started = new ConcurrentHashMap<>();

        private final Map<String, CompletableFuture<Void>> hanging = new ConcurrentHashMap<>();

        /** Completes when the job's first run starts. */
        CompletableFuture<Void> started(String id) {
            return started.computeIfAbsent(id, key -> new CompletableFuture<>());
        }

        /** Completes when a run of the job starts to hang. */
        CompletableFuture<Void> hanging(String id) {
            return hanging.computeIfAbsent(id, key -> new CompletableFuture<>());
        }

        @Override
        public String type() {
            return "race";
        }

        @Override
        public String description() {
            return "Counts its runs, then fails, defers itself or hangs until interrupted.";
        }

        @Override
        public JsonNode handle(JobContext context) throws Exception {
            runs.computeIfAbsent(context.jobId(), id -> new CopyOnWriteArrayList<>())
                .add(new Run(context.attempt(), context.fencingToken(), System.nanoTime()));
            started(context.jobId()).complete(null);
            String mode = context.payload().path("mode").asString();
            if (mode.equals("failOnce")) {
                mode = context.attempt() == 1 ? "fail" : "hang";
            }
            switch (mode) {
                case "fail" -> throw new IllegalStateException("race failure on attempt " + context.attempt());
                case "defer" -> throw new JobDeferred("race_deferred", "deferred for a millisecond", Duration.ofMillis(1));
                case "hang" -> hang(context.jobId());
                default -> throw JobFailure.permanent("bad_input", "unknown mode");
            }
            return JsonNodeFactory.instance.objectNode();
        }

        private void hang(String id) throws InterruptedException {
            hanging(id).complete(null);
            try {
                if (!new CountDownLatch(1).await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never interrupted");
                }
            }
            catch (InterruptedException ex) {
                interrupted.add(id);
                throw ex;
            }
        }
    }
}
