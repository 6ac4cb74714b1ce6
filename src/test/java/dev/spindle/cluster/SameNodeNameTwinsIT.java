package dev.spindle.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.spindle.Api.Response;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two live processes with one node name (two services configured alike on one host, say), the
 * packaged jar as separate JVMs on PostgreSQL: both run, told apart by their instance ids. Both
 * are in the registry under the shared name, jobs submitted to either complete, and a SIGKILL of
 * one re-runs only its jobs while the other's long job keeps RUNNING past several lease TTLs: each
 * renews the leases of its own instance, neither those of its twin.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class SameNodeNameTwinsIT {

    private static final String NODE = "host-a";

    private static final Duration LEASE_TTL = Duration.ofSeconds(2);

    private static final Duration HEARTBEAT = Duration.ofMillis(300);

    private static final Duration SLACK = Duration.ofSeconds(3);

    /** The long jobs: each twin runs one (concurrency 1), for six lease TTLs. */
    private static final int LONG_MS = 12_000;

    @TempDir
    Path workDir;

    @Test
    void twinsShareANodeNameButNotTheirLeases() throws Exception {
        try (PostgresSchema schema = PostgresSchema.fresh("spindle_same_node_twins_it")) {
            List<SpindleProcess> processes = new ArrayList<>();
            try {
                SpindleProcess one = start(processes, "one", schema);
                SpindleProcess two = start(processes, "two", schema);
                await().atMost(Duration.ofMinutes(2)).until(() -> one.ready() && two.ready());
                String instanceOne = one.instance();
                String instanceTwo = two.instance();
                assertThat(instanceOne).isNotEqualTo(instanceTwo);

                // each sees both in the registry, under the one node name
                for (SpindleProcess process : List.of(one, two)) {
                    String own = process == one ? instanceOne : instanceTwo;
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                        JsonNode details = process.management().get("/actuator/health/cluster").body().path("details");
                        assertThat(details.path("instance").asString()).isEqualTo(own);
                        assertThat(details.path("node").asString()).isEqualTo(NODE);
                        assertThat(details.path("nodesAlive").asInt()).isEqualTo(2);
                        JsonNode nodes = details.path("nodes");
                        assertThat(nodes.propertyNames()).containsExactlyInAnyOrder(instanceOne, instanceTwo);
                        for (String instance : List.of(instanceOne, instanceTwo)) {
                            assertThat(nodes.path(instance).path("node").asString()).isEqualTo(NODE);
                            assertThat(nodes.path(instance).path("alive").asBoolean()).isTrue();
                        }
                    });
                }

                // jobs submitted to either complete, once each
                List<String> quick = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    quick.add(one.api().submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 20}}"));
                    quick.add(two.api().submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 20}}"));
                }
                for (String id : quick) {
                    JsonNode job = one.api().awaitTerminal(id);
                    assertThat(job.path("state").asString()).as(id).isEqualTo("SUCCEEDED");
                    assertThat(job.path("attempt").asInt()).as(id).isEqualTo(1);
                    assertThat(job.path("node").asString()).as(id).isEqualTo(NODE);
                }

                // one long job each: with one slot each, both RUNNING means one on either twin
                Response batch = one.api().post("/api/v1/jobs/batch", "{\"jobs\": [" + String.join(",",
                        java.util.Collections.nCopies(2, "{\"type\": \"sleep\", \"payload\": {\"ms\": " + LONG_MS
                                + "}, \"timeout\": \"PT2M\"}")) + "]}");
                assertThat(batch.status()).as(batch.raw().body()).isEqualTo(202);
                List<String> longJobs = batch.body().path("jobs").valueStream().map(job -> job.path("id").asString())
                    .toList();
                await().atMost(Duration.ofSeconds(20))
                    .until(() -> schema.runningUnder(instanceOne).size() == 1 && schema.runningUnder(instanceTwo).size() == 1);
                String victim = schema.runningUnder(instanceOne).getFirst();
                String survivor = schema.runningUnder(instanceTwo).getFirst();
                assertThat(Set.of(victim, survivor)).containsExactlyInAnyOrderElementsOf(longJobs);

                one.kill();
                Instant killedAt = Instant.now();

                // the dead twin's job leaves RUNNING once its lease runs out (the live twin's slot is
                // taken, so it waits QUEUED)
                await().atMost(LEASE_TTL.plus(HEARTBEAT.multipliedBy(2)).plus(SLACK))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(schema.job(victim)).as("job %s of the dead twin", victim)
                        .containsEntry("state", "QUEUED"));
                Duration reapedAfter = Duration.between(killedAt, Instant.now());
                assertThat(schema.job(victim)).containsEntry("error_code", "lease_expired").containsEntry("attempt", 1);

                // the live twin's job keeps its lease, renewed by its own instance, for four TTLs after the kill
                Instant until = killedAt.plus(LEASE_TTL.multipliedBy(4));
                await().during(Duration.between(Instant.now(), until))
                    .atMost(Duration.between(Instant.now(), until).plus(SLACK))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        Map<String, Object> row = schema.job(survivor);
                        assertThat(row).as("job %s of the live twin", survivor)
                            .containsEntry("state", "RUNNING")
                            .containsEntry("attempt", 1)
                            .containsEntry("fencing_token", 1L)
                            .containsEntry("instance", instanceTwo);
                        assertThat(PostgresSchema.instant(row.get("lease_until"))).as("its lease").isAfter(Instant.now());
                    });

                // then it ends on its first attempt, and the dead twin's job runs again on the live one
                JsonNode survived = two.api().awaitTerminal(survivor);
                assertThat(survived.path("state").asString()).isEqualTo("SUCCEEDED");
                assertThat(survived.path("attempt").asInt()).isEqualTo(1);
                assertThat(survived.path("fencingToken").asLong()).isEqualTo(1);
                await().atMost(Duration.ofSeconds(10)).until(() -> schema.runningUnder(instanceTwo).contains(victim));
                assertThat(schema.job(victim)).containsEntry("attempt", 2).containsEntry("fencing_token", 2L);
                assertThat(schema.jdbc.sql("SELECT id FROM " + schema.name + ".jobs WHERE fencing_token > 1")
                    .query(String.class).list()).as("jobs that ran again").containsExactly(victim);

                // the registry: the dead twin silent, the live one alone
                await().atMost(LEASE_TTL.plus(SLACK)).untilAsserted(() -> {
                    JsonNode details = two.management().get("/actuator/health/cluster").body().path("details");
                    assertThat(details.path("nodesAlive").asInt()).isEqualTo(1);
                    assertThat(details.path("nodes").path(instanceOne).path("alive").asBoolean()).isFalse();
                    assertThat(details.path("nodes").path(instanceTwo).path("alive").asBoolean()).isTrue();
                });
                System.out.printf("SIGKILL of one twin: its job re-queued after %d ms; the other's job held its lease "
                        + "%d TTLs%n", reapedAfter.toMillis(), LONG_MS / LEASE_TTL.toMillis());
            }
            catch (AssertionError | RuntimeException ex) {
                for (SpindleProcess process : processes) {
                    System.out.println("--- " + process.log + "\n" + process.tail());
                }
                throw ex;
            }
            finally {
                for (SpindleProcess process : processes) {
                    process.close();
                }
            }
        }
    }

    private SpindleProcess start(List<SpindleProcess> processes, String dir, PostgresSchema schema) throws Exception {
        Path own = Files.createDirectories(workDir.resolve(dir));
        List<String> properties = new ArrayList<>(schema.properties());
        properties.addAll(List.of("spindle.cluster.lease-ttl=" + LEASE_TTL.toMillis() + "ms",
                "spindle.cluster.heartbeat-interval=" + HEARTBEAT.toMillis() + "ms", "spindle.pool.concurrency=1",
                "spindle.pool.shutdown-grace=500ms"));
        SpindleProcess process = SpindleProcess.start(NODE, own, properties);
        processes.add(process);
        return process;
    }

}
