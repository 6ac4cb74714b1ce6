package dev.spindle.memory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.RespCommand;
import dev.spindle.SpindleProcess;
import dev.spindle.TestApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Memory pressure for real: Spindle in its own JVM with a 256 MB heap and a lowered threshold
 * (55 % of the old generation after GC; clear below 35 %; the idle service holds about 20 %). A
 * {@code hold} job keeps 120 MB
 * reachable; while it does, new jobs are refused over REST and RESP and readiness is
 * OUT_OF_SERVICE, yet reads are served and the running job is untouched. Cancelling it releases
 * the memory, and admission and readiness come back. The collections that notice both changes are
 * driven by the reads the test keeps making, as a live service's traffic would drive them.
 */
class MemoryPressureTests {

    @TempDir
    Path workDir;

    private SpindleProcess spindle;

    private Api api;

    private Api management;

    private void start(String collector) {
        spindle = SpindleProcess.startMain(TestApplication.class, "pressure", workDir,
                List.of("-Xmx256m", "-Xms256m", collector),
                List.of("spindle.memory.pressure-threshold=0.55", "spindle.memory.recovery-threshold=0.35",
                        "spindle.memory.retry-after=3s", "spindle.memory.sample-interval=200ms",
                        "spindle.memory.recheck-interval=2s"));
        api = spindle.api();
        management = spindle.management();
        await().atMost(Duration.ofMinutes(2)).until(spindle::ready);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (spindle != null) {
            spindle.close();
        }
    }

    /** G1 is what the JVM picks with two or more CPUs; Serial is its pick in a one-CPU container. */
    @ParameterizedTest
    @ValueSource(strings = { "-XX:+UseG1GC", "-XX:+UseSerialGC" })
    void refusesNewJobsUnderPressureAndRecoversWhenMemoryIsReleased(String collector) throws Exception {
        start(collector);
        JsonView before = memory();
        assertThat(before.underPressure()).as("pressure before any hold: %s", before.raw()).isFalse();
        String noop = api.submit("{\"type\": \"noop\", \"payload\": {}}");
        String failed = api.submit("{\"type\": \"flaky\", \"payload\": {\"failures\": 5}, \"maxAttempts\": 1}");
        assertThat(api.awaitTerminal(failed).path("state").asString()).isEqualTo("FAILED");

        String hold = api.submit("{\"type\": \"hold\", \"payload\": {\"mb\": 120}, \"timeout\": \"PT10M\"}");
        try (Reads reads = new Reads()) {
            await().atMost(Duration.ofMinutes(1))
                .untilAsserted(() -> assertThat(memory().underPressure()).as(spindle.tail()).isTrue());
            int servedBefore = reads.served.get();

            Response refused = api.post("/api/v1/jobs", "{\"type\": \"noop\", \"payload\": {}}");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("3");
            assertThat(refused.raw().headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(refused.body().path("detail").asString()).contains("memory pressure");
            assertThat(api.post("/api/v1/jobs/batch", "{\"jobs\": [{\"type\": \"noop\", \"payload\": {}}]}").status())
                .isEqualTo(503);
            assertThat(api.post("/api/v1/jobs/" + failed + "/retry", "").status()).isEqualTo(503);
            assertThat(api.post("/api/v1/jobs/01890000-0000-7000-8000-000000000000/retry", "").status())
                .as("an unknown job is still unknown").isEqualTo(404);
            try (Jedis jedis = new Jedis("127.0.0.1", spindle.tcpPort())) {
                assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\", \"payload\": {}}"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("BUSY")
                    .hasMessageContaining("memory pressure");
                assertThat(SafeEncoder.encode((byte[]) jedis.sendCommand(RespCommand.PING))).isEqualTo("PONG");
            }

            Response readiness = management.get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(503);
            assertThat(readiness.body().path("status").asString()).isEqualTo("OUT_OF_SERVICE");
            assertThat(readiness.body().at("/components/memory/status").asString()).isEqualTo("OUT_OF_SERVICE");
            assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
            assertThat(management.get("/actuator/prometheus").raw().body()).contains("spindle_memory_pressure 1.0");

            // the running job is untouched, earlier work is still readable, reads kept being served
            assertThat(api.get("/api/v1/jobs/" + hold).state()).isEqualTo("RUNNING");
            assertThat(api.get("/api/v1/jobs/" + noop).state()).isEqualTo("SUCCEEDED");
            await().atMost(Duration.ofSeconds(10)).until(() -> reads.served.get() > servedBefore);
            assertThat(reads.failed.get()).isZero();
        }

        // out of traffic now, as a load balancer leaves an unready node: the monitor itself must
        // get the tenured pool collected again to see that the memory was freed
        assertThat(api.post("/api/v1/jobs/" + hold + "/cancel", "").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(500))
            .untilAsserted(() -> assertThat(memory().underPressure()).as(spindle.tail()).isFalse());
        assertThat(api.awaitTerminal(hold).path("state").asString()).isEqualTo("CANCELLED");
        await().atMost(Duration.ofSeconds(10))
            .until(() -> management.get("/actuator/health/readiness").status() == 200);
        assertThat(api.awaitTerminal(api.submit("{\"type\": \"noop\", \"payload\": {}}")).path("state").asString())
            .isEqualTo("SUCCEEDED");

        JsonView after = memory();
        assertThat(after.raw().at("/pressure/episodes").asLong()).isEqualTo(1);
        assertThat(after.raw().at("/pressure/lastAfterGc/fraction").asDouble()).isLessThan(0.35);
        assertThat(management.get("/actuator/workerpool").body().path("rejected").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(management.get("/actuator/prometheus").raw().body()).contains("spindle_memory_pressure 0.0");
    }

    /**
     * Objects that are promoted and then die fill the old generation between its collections; what
     * a young collection leaves there is not the live data, and must not count as pressure.
     */
    @ParameterizedTest
    @ValueSource(strings = { "-XX:+UseG1GC", "-XX:+UseSerialGC" })
    void promotedGarbageIsNotPressure(String collector) {
        start(collector);
        String churn = api.submit("{\"type\": \"churn\", \"payload\": {\"windowMb\": 30, \"totalMb\": 2000, \"mbPerSecond\": 500}, \"timeout\": \"PT5M\"}");
        assertThat(api.awaitTerminal(churn).path("state").asString()).isEqualTo("SUCCEEDED");

        JsonView after = memory();
        assertThat(after.raw().at("/pressure/episodes").asLong()).as("%s", after.raw()).isZero();
        assertThat(after.raw().path("gc").valueStream().mapToLong(gc -> gc.path("count").asLong()).sum())
            .as("the churn ran the collector").isGreaterThan(10);
    }

    private JsonView memory() {
        Response response = management.get("/actuator/memory");
        assertThat(response.status()).isEqualTo(200);
        return new JsonView(response.body());
    }

    private record JsonView(tools.jackson.databind.JsonNode raw) {

        boolean underPressure() {
            return raw.at("/pressure/underPressure").asBoolean();
        }
    }

    /** Reads a live service would be serving meanwhile: metrics scrapes and job listings. */
    private final class Reads implements AutoCloseable {

        final AtomicInteger served = new AtomicInteger();

        final AtomicInteger failed = new AtomicInteger();

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final Thread thread = Thread.ofVirtual().start(() -> {
            while (running.get()) {
                int status = management.get("/actuator/prometheus").status();
                int listed = api.get("/api/v1/jobs?limit=100").status();
                (status == 200 && listed == 200 ? served : failed).incrementAndGet();
            }
        });

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }
}
