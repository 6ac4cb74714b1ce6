package dev.spindle.store;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import dev.spindle.Api;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded SQLite store takes one process at a time, the packaged jar as separate JVMs in one
 * working directory on one database file: a second process refuses to start while the first
 * runs, saying why, and leaves the first one's jobs alone; once the first is SIGKILLed, the next
 * process on the file recovers the jobs it had RUNNING at once, not after their lease ran out.
 */
class EmbeddedStoreProcessIT {

    /** Far longer than the test: a recovery that waited for the dead process's leases would come too late. */
    private static final Duration LEASE_TTL = Duration.ofSeconds(90);

    @TempDir
    Path workDir;

    @Test
    void oneProcessAtATimeAndTheNextRecoversWhatTheKilledOneRan() throws Exception {
        List<SpindleProcess> processes = new ArrayList<>();
        try {
            SpindleProcess first = start(processes, "first");
            await().atMost(Duration.ofMinutes(2)).until(first::ready);
            Api api = first.api();
            String held = api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 120000}, \"timeout\": \"PT10M\"}");
            await().atMost(Duration.ofSeconds(20)).until(() -> api.get("/api/v1/jobs/" + held).state().equals("RUNNING"));

            SpindleProcess second = start(processes, "second");
            OptionalInt exit = second.awaitExit(Duration.ofMinutes(2));
            assertThat(exit).as("the second process exits on its own").isPresent();
            assertThat(exit.getAsInt()).isNotZero();
            assertThat(second.output()).contains("is in use by another Spindle process")
                .contains(workDir.resolve("spindle.db").toAbsolutePath().normalize().toString());
            // its attempt touched nothing: the first one's job runs on, the first one serves
            assertThat(first.ready()).isTrue();
            JsonNode untouched = api.get("/api/v1/jobs/" + held).body();
            assertThat(untouched.path("state").asString()).isEqualTo("RUNNING");
            assertThat(untouched.path("attempt").asInt()).isEqualTo(1);
            assertThat(untouched.path("fencingToken").asLong()).isEqualTo(1);
            String quick = api.submit("{\"type\": \"noop\"}");
            assertThat(api.awaitTerminal(quick).path("state").asString()).isEqualTo("SUCCEEDED");

            List<String> running = new ArrayList<>(List.of(held));
            for (int i = 0; i < 2; i++) {
                running.add(api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 4000}}"));
            }
            await().atMost(Duration.ofSeconds(20))
                .until(() -> running.stream().allMatch(id -> api.get("/api/v1/jobs/" + id).state().equals("RUNNING")));
            first.kill();
            Instant killedAt = Instant.now();

            SpindleProcess third = start(processes, "third");
            await().atMost(Duration.ofMinutes(2)).until(third::ready);
            Instant readyAt = Instant.now();
            // recovered at the start, not by the reaper after the leases (90 s) ran out
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                for (String id : running) {
                    assertThat(third.api().get("/api/v1/jobs/" + id).body().path("attempt").asInt())
                        .as("attempt of job %s, RUNNING when the first process was killed", id)
                        .isEqualTo(2);
                }
            });
            for (String id : running) {
                JsonNode job = third.api().get("/api/v1/jobs/" + id).body();
                assertThat(job.path("attempt").asInt()).as(id).isEqualTo(2);
                assertThat(job.path("fencingToken").asLong()).as(id).isEqualTo(2);
                assertThat(job.path("state").asString()).as(id).isIn("RUNNING", "SUCCEEDED");
                assertThat(Instant.parse(job.path("startedAt").asString())).as(id)
                    .isAfter(killedAt)
                    .isBefore(readyAt.plusSeconds(5))
                    .isBefore(killedAt.plus(LEASE_TTL));
            }
            assertThat(third.output()).contains("Recovered 3 jobs left RUNNING by a previous process");
            for (String id : running.subList(1, running.size())) {
                JsonNode job = third.api().awaitTerminal(id);
                assertThat(job.path("state").asString()).as(id).isEqualTo("SUCCEEDED");
                assertThat(job.path("attempt").asInt()).as(id).isEqualTo(2);
            }
            assertThat(Duration.between(killedAt, Instant.now())).isLessThan(LEASE_TTL);
            System.out.printf("SIGKILL -> next process ready in %d ms with the killed one's jobs running again%n",
                    Duration.between(killedAt, readyAt).toMillis());
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

    private SpindleProcess start(List<SpindleProcess> processes, String node) {
        SpindleProcess process = SpindleProcess.start(node, workDir, List.of(
                "spring.datasource.url=jdbc:sqlite:" + workDir.resolve("spindle.db").toAbsolutePath(),
                "spindle.cluster.lease-ttl=" + LEASE_TTL.toSeconds() + "s", "spindle.cluster.heartbeat-interval=500ms",
                "spindle.pool.shutdown-grace=500ms"));
        processes.add(process);
        return process;
    }
}
