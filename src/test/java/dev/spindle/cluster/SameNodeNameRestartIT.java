package dev.spindle.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.spindle.Api.Response;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A process SIGKILLed and started again at once under the same node name (a pod restarted in
 * place, a host's service restarted), the packaged jar as separate JVMs on PostgreSQL: the new
 * process is another instance, so it never renews its predecessor's leases. The dead instance's
 * jobs leave RUNNING once their lease runs out and run again; a cancel asked through the new
 * process for one of them before that ends it CANCELLED, and it never runs again.
 *
 * <p>Before leases belonged to the instance, heartbeats renewed the leases of every RUNNING job
 * carrying the node's name, so the dead process's jobs stayed RUNNING for as long as its
 * successor lived: here the lease of a dead instance's job must never move, and the re-runs must
 * come within the bound below.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class SameNodeNameRestartIT {

    private static final String NODE = "host-a";

    /** The dead process's lease TTL and heartbeat: its jobs are free three seconds after its last renewal. */
    private static final Duration LEASE_TTL = Duration.ofSeconds(3);

    private static final Duration HEARTBEAT = Duration.ofMillis(500);

    /**
     * The successor's heartbeat, the default (its reaper runs at this interval, the first round one
     * interval after its pool starts, just before its web server): long enough that a cancel sent
     * the moment its API answers reaches the store before its reaper's first round, whatever the
     * JVM's start took.
     */
    private static final Duration SUCCESSOR_HEARTBEAT = Duration.ofSeconds(5);

    private static final Duration SUCCESSOR_LEASE_TTL = Duration.ofSeconds(10);

    /** For a slow, shared CI machine: a JDBC round trip, a claim, a poll. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private static final int JOBS = 3;

    @TempDir
    Path workDir;

    @Test
    void successorUnderTheSameNodeNameReRunsTheDeadInstancesJobsAndKeepsItsCancel() throws Exception {
        try (PostgresSchema schema = PostgresSchema.fresh("spindle_same_node_restart_it")) {
            List<SpindleProcess> processes = new ArrayList<>();
            try {
                SpindleProcess a = start(processes, "a", schema, LEASE_TTL, HEARTBEAT);
                await().atMost(Duration.ofMinutes(2)).until(a::ready);
                String instanceA = a.instance();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < JOBS; i++) {
                    ids.add(a.api().submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}, \"timeout\": \"PT5M\"}"));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> schema.runningUnder(instanceA).size() == JOBS);
                assertThat(schema.runningUnder(instanceA)).containsExactlyInAnyOrderElementsOf(ids);

                a.kill();
                Instant killedAt = Instant.now();
                // nothing renews them any more: the latest lease the dead instance took
                Instant leaseAtKill = ids.stream()
                    .map(id -> PostgresSchema.instant(schema.job(id).get("lease_until")))
                    .max(Instant::compareTo)
                    .orElseThrow();
                assertThat(leaseAtKill).isBeforeOrEqualTo(killedAt.plus(LEASE_TTL));

                SpindleProcess b = start(processes, "b", schema, SUCCESSOR_LEASE_TTL, SUCCESSOR_HEARTBEAT);
                String cancelled = ids.get(0);
                List<String> rerun = ids.subList(1, JOBS);
                // a cancel through the successor the moment its API answers: the job is still
                // RUNNING under the dead instance's lease, which nobody renews
                Response cancel = await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(20))
                    .ignoreExceptions()
                    .until(() -> b.api().post("/api/v1/jobs/" + cancelled + "/cancel", ""), response -> true);
                Instant successorUp = Instant.now();
                assertThat(cancel.status()).as(cancel.raw().body()).isEqualTo(202);
                assertThat(cancel.state()).isEqualTo("RUNNING");
                assertThat(cancel.body().path("attempt").asInt()).isEqualTo(1);
                assertThat(cancel.body().path("fencingToken").asLong()).isEqualTo(1);

                // the dead instance's jobs run again, on the successor, within one lease TTL of the
                // kill (or of the successor's start, when that took longer) and a reaper round
                Instant deadline = max(killedAt.plus(LEASE_TTL), successorUp).plus(SUCCESSOR_HEARTBEAT.multipliedBy(2))
                    .plus(SLACK);
                await().atMost(Duration.ofMinutes(1)).until(b::ready);
                String instanceB = b.instance();
                assertThat(instanceB).isNotEqualTo(instanceA);
                List<String> renewed = new CopyOnWriteArrayList<>();
                assertThat(Instant.now()).as("the successor is up before the re-run deadline").isBefore(deadline);
                await().atMost(Duration.between(Instant.now(), deadline))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        renewed.addAll(renewedAfterDeath(schema, instanceA, leaseAtKill));
                        assertThat(renewed).as("jobs of the dead instance whose lease was renewed after its death")
                            .isEmpty();
                        for (String id : rerun) {
                            assertThat(schema.job(id)).as("job %s of the dead instance", id)
                                .containsEntry("state", "RUNNING")
                                .containsEntry("attempt", 2)
                                .containsEntry("instance", instanceB);
                        }
                        assertThat(schema.job(cancelled)).as("job %s, cancelled through the successor", cancelled)
                            .containsEntry("state", "CANCELLED");
                    });
                Instant rerunAt = Instant.now();
                assertThat(rerunAt).isBeforeOrEqualTo(deadline);

                for (String id : rerun) {
                    Map<String, Object> row = schema.job(id);
                    assertThat(row).containsEntry("node", NODE).containsEntry("fencing_token", 2L);
                    // not taken while the dead instance's lease still held
                    assertThat(PostgresSchema.instant(row.get("started_at"))).isAfter(leaseAtKill);
                }
                Map<String, Object> kept = schema.job(cancelled);
                assertThat(kept).containsEntry("state", "CANCELLED")
                    .containsEntry("attempt", 1)
                    .containsEntry("fencing_token", 1L)
                    .containsEntry("error_code", "cancelled");
                JsonNode job = b.api().get("/api/v1/jobs/" + cancelled).body();
                assertThat(job.path("state").asString()).isEqualTo("CANCELLED");
                assertThat(job.path("attempt").asInt()).isEqualTo(1);

                // the registry: two instances under one node name, the dead one silent and empty
                // (alive: a heartbeat within the successor's lease TTL)
                await().atMost(SUCCESSOR_LEASE_TTL.plus(SLACK)).untilAsserted(() -> {
                    JsonNode details = b.management().get("/actuator/health/cluster").body().path("details");
                    assertThat(details.path("instance").asString()).isEqualTo(instanceB);
                    assertThat(details.path("node").asString()).isEqualTo(NODE);
                    JsonNode nodes = details.path("nodes");
                    assertThat(nodes.path(instanceB).path("node").asString()).isEqualTo(NODE);
                    assertThat(nodes.path(instanceB).path("alive").asBoolean()).isTrue();
                    assertThat(nodes.path(instanceB).path("running").asInt()).isEqualTo(rerun.size());
                    assertThat(nodes.path(instanceA).path("node").asString()).isEqualTo(NODE);
                    assertThat(nodes.path(instanceA).path("alive").asBoolean()).isFalse();
                    assertThat(nodes.path(instanceA).path("running").asInt()).isZero();
                });
                // a cancelled job stays so: never claimed again while the successor runs on
                assertThat(schema.job(cancelled)).containsEntry("state", "CANCELLED").containsEntry("fencing_token", 1L);
                System.out.printf("killed -> successor's API up %d ms, re-runs on the successor %d ms (bound %d ms)%n",
                        Duration.between(killedAt, successorUp).toMillis(), Duration.between(killedAt, rerunAt).toMillis(),
                        Duration.between(killedAt, deadline).toMillis());
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

    /** Jobs RUNNING under the dead instance whose lease is later than any it took before it died. */
    private static List<String> renewedAfterDeath(PostgresSchema schema, String instance, Instant leaseAtKill) {
        return schema.jdbc.sql("SELECT id FROM " + schema.name
                + ".jobs WHERE state = 'RUNNING' AND instance = ? AND lease_until > ?")
            .params(instance, java.sql.Timestamp.from(leaseAtKill))
            .query(String.class)
            .list();
    }

    /** A process of its own working directory (so its log is its own) under the shared node name. */
    private SpindleProcess start(List<SpindleProcess> processes, String dir, PostgresSchema schema, Duration leaseTtl,
            Duration heartbeat) throws Exception {
        Path own = Files.createDirectories(workDir.resolve(dir));
        List<String> properties = new ArrayList<>(schema.properties());
        properties.addAll(List.of("spindle.cluster.lease-ttl=" + leaseTtl.toMillis() + "ms",
                "spindle.cluster.heartbeat-interval=" + heartbeat.toMillis() + "ms", "spindle.pool.concurrency=4",
                "spindle.pool.shutdown-grace=500ms"));
        SpindleProcess process = SpindleProcess.start(NODE, own, properties);
        processes.add(process);
        return process;
    }


    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
