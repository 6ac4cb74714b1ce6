package dev.spindle.cluster;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.spindle.Api.Response;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three instances of the packaged jar, separate JVMs sharing one PostgreSQL; 20,000 jobs
 * submitted round-robin; one instance killed with SIGKILL mid-run. Every job ends SUCCEEDED and
 * only jobs the dead instance held run again.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class ClusterProcessIT {

    private static final String SCHEMA = "spindle_process_it";

    private static final int JOBS = 20_000;

    private static final int BATCH = 250;

    private static final int CONCURRENCY = 16;

    @TempDir
    Path workDir;

    @Test
    void sigkilledInstanceLosesNoJobAndOnlyItsJobsRunAgain() throws Exception {
        String url = System.getenv("SPINDLE_TEST_POSTGRES_URL");
        try (Connection connection = DriverManager.getConnection(url,
                System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres"),
                System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", ""))) {
            JdbcClient jdbc = JdbcClient.create(new SingleConnectionDataSource(connection, true));
            jdbc.sql("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE").update();
            String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA;
            List<String> properties = List.of("spring.datasource.url=" + schemaUrl,
                    "spring.datasource.username=" + System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres"),
                    "spring.datasource.password=" + System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", ""),
                    "spring.flyway.schemas=" + SCHEMA, "spindle.pool.concurrency=" + CONCURRENCY,
                    "spindle.cluster.lease-ttl=3s", "spindle.cluster.heartbeat-interval=500ms");

            List<SpindleProcess> nodes = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    nodes.add(SpindleProcess.start("node-" + i, workDir, properties));
                }
                await().atMost(Duration.ofMinutes(2)).until(() -> nodes.stream().allMatch(SpindleProcess::ready));

                Set<String> submitted = submitRoundRobin(nodes);
                assertThat(submitted).hasSize(JOBS);

                String count = "SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'SUCCEEDED'";
                await().atMost(Duration.ofMinutes(2)).until(() -> jdbc.sql(count).query(Long.class).single() >= JOBS / 4);
                SpindleProcess victim = nodes.get(1);
                victim.kill();
                List<String> held = jdbc.sql("SELECT id FROM " + SCHEMA + ".jobs WHERE state = 'RUNNING' AND node = ?")
                    .param(victim.node)
                    .query(String.class)
                    .list();

                await().atMost(Duration.ofMinutes(3)).until(() -> jdbc.sql(count).query(Long.class).single() == JOBS);

                List<String> rerun = jdbc.sql("SELECT id FROM " + SCHEMA + ".jobs WHERE attempt > 1")
                    .query(String.class)
                    .list();
                System.out.printf("SIGKILL of %s: it held %d running jobs; %d jobs ran again%n", victim.node,
                        held.size(), rerun.size());
                // running attempts, and as many ended ones whose outcome was not stored yet
                assertThat(held).hasSizeLessThanOrEqualTo(2 * CONCURRENCY);
                assertThat(rerun).hasSizeLessThanOrEqualTo(2 * CONCURRENCY);
                assertThat(held).containsAll(rerun);
                assertThat(jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs").query(Long.class).single())
                    .isEqualTo(JOBS);
                assertThat(jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE node = ?")
                    .param(victim.node).query(Long.class).single()).isPositive();
            }
            catch (AssertionError | RuntimeException ex) {
                for (SpindleProcess node : nodes) {
                    System.out.println("--- " + node.node + "\n" + node.tail());
                }
                throw ex;
            }
            finally {
                for (SpindleProcess node : nodes) {
                    node.close();
                }
            }
        }
    }

    private static Set<String> submitRoundRobin(List<SpindleProcess> nodes) throws Exception {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        String batch = "{\"jobs\": [" + String.join(",",
                java.util.Collections.nCopies(BATCH, "{\"type\": \"sleep\", \"payload\": {\"ms\": 20}}")) + "]}";
        List<Future<?>> requests = new ArrayList<>();
        try (ExecutorService clients = Executors.newFixedThreadPool(6)) {
            for (int i = 0; i < JOBS / BATCH; i++) {
                SpindleProcess node = nodes.get(i % nodes.size());
                requests.add(clients.submit(() -> {
                    Response response = node.api().post("/api/v1/jobs/batch", batch);
                    assertThat(response.status()).as(response.raw().body()).isEqualTo(202);
                    response.body().path("jobs").valueStream().forEach(job -> ids.add(job.path("id").asString()));
                }));
            }
            for (Future<?> request : requests) {
                request.get();
            }
        }
        return ids;
    }
}
