package dev.spindle.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A fan-out of 10,000 children and a join, on three instances of the packaged jar sharing one
 * PostgreSQL, one of them killed with SIGKILL while the children run: the workflow still ends
 * SUCCEEDED, and the join runs exactly once and sees all 10,000 results.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class WorkflowProcessIT {

    private static final String SCHEMA = "spindle_workflow_it";

    private static final int CHILDREN = 10_000;

    @TempDir
    Path workDir;

    @Test
    void fanOutOfTenThousandJoinsOnceThoughAnInstanceIsKilled() throws Exception {
        try (PostgresSchema schema = PostgresSchema.fresh(SCHEMA)) {
            JdbcClient jdbc = schema.jdbc;
            List<String> properties = new ArrayList<>(schema.properties());
            properties.addAll(List.of("spindle.pool.concurrency=16", "spindle.cluster.lease-ttl=3s",
                    "spindle.cluster.heartbeat-interval=500ms"));
            List<SpindleProcess> nodes = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    nodes.add(SpindleProcess.start("node-" + i, workDir, properties));
                }
                await().atMost(Duration.ofMinutes(2)).until(() -> nodes.stream().allMatch(SpindleProcess::ready));

                // children that take a moment each, so that the kill lands while they run
                Response submitted = nodes.getFirst().api().post("/api/v1/workflows", """
                        {"name": "fan-out", "steps": [
                          {"id": "split", "type": "fanout",
                           "payload": {"type": "sleep", "count": %d, "payload": {"ms": 5}}},
                          {"id": "join", "type": "collect", "payload": {"of": "split"}, "dependsOn": ["split"]}]}"""
                    .formatted(CHILDREN));
                assertThat(submitted.status()).as(submitted.raw().body()).isEqualTo(202);
                String id = submitted.id();

                String children = "SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE parent_id IS NOT NULL AND state = 'SUCCEEDED'";
                await().atMost(Duration.ofMinutes(2)).until(() -> jdbc.sql(children).query(Long.class).single() >= CHILDREN / 4);
                SpindleProcess victim = nodes.get(1);
                victim.kill();
                long heldByVictim = jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'RUNNING' AND node = ?")
                    .param(victim.node)
                    .query(Long.class)
                    .single();

                Api survivor = nodes.getFirst().api();
                JsonNode done = await().atMost(Duration.ofMinutes(3)).until(() -> survivor.get("/api/v1/workflows/" + id)
                    .body(), workflow -> !workflow.path("finishedAt").isMissingNode());

                System.out.printf("SIGKILL of %s during a fan-out of %d: it held %d running jobs%n", victim.node,
                        CHILDREN, heldByVictim);
                assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
                assertThat(done.path("jobs").asInt()).isEqualTo(CHILDREN + 2);
                assertThat(Api.step(done, "split").path("children").asInt()).isEqualTo(CHILDREN);
                assertThat(done.path("results").path("join").path("count").asInt()).isEqualTo(CHILDREN);
                assertThat(done.path("results").path("join").path("succeeded").asInt()).isEqualTo(CHILDREN);
                JsonNode join = survivor.get("/api/v1/jobs/" + Api.step(done, "join").path("jobId").asString()).body();
                assertThat(join.path("attempt").asInt()).as("the join's attempts").isEqualTo(1);
                assertThat(jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs").query(Long.class).single())
                    .isEqualTo(CHILDREN + 2);
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
}
