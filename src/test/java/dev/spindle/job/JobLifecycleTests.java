package dev.spindle.job;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import dev.spindle.TestHandlers.FlakyHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/** Timeouts, retries with backoff and delayed starts, as seen through the API. */
@SpindleTest
class JobLifecycleTests {

    @LocalServerPort
    int port;

    @Autowired
    FlakyHandler flaky;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
    }

    @Test
    void timeoutInterruptsTheHandlerAndIsRetriedUntilAttemptsRunOut() {
        long started = System.nanoTime();
        String id = api.submit("""
                {"type": "sleep", "payload": {"ms": 20000}, "timeout": "PT0.3S", "maxAttempts": 2}""");

        JsonNode job = api.awaitTerminal(id);

        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("error").path("code").asString()).isEqualTo("timeout");
        assertThat(job.path("attempt").asInt()).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void failedAttemptsAreRetriedWithGrowingBackoff() {
        String id = api.submit("{\"type\": \"flaky\", \"payload\": {\"failures\": 2}, \"maxAttempts\": 3}");

        JsonNode job = api.awaitTerminal(id);

        assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.path("attempt").asInt()).isEqualTo(3);
        List<Instant> attempts = flaky.attempts.get(id);
        assertThat(attempts).hasSize(3);
        // initial backoff 200 ms, doubling, with equal jitter: [100, 200] ms then [200, 400] ms
        Duration first = Duration.between(attempts.get(0), attempts.get(1));
        Duration second = Duration.between(attempts.get(1), attempts.get(2));
        assertThat(first).isBetween(Duration.ofMillis(100), Duration.ofMillis(1200));
        assertThat(second).isBetween(Duration.ofMillis(200), Duration.ofMillis(1400));
    }

    @Test
    void retryableFailureFailsTheJobWhenAttemptsRunOut() {
        String id = api.submit("{\"type\": \"flaky\", \"payload\": {\"failures\": 9}, \"maxAttempts\": 2}");

        JsonNode job = api.awaitTerminal(id);

        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("attempt").asInt()).isEqualTo(2);
        assertThat(job.path("error").path("code").asString()).isEqualTo("handler_error");
        assertThat(job.path("error").path("message").asString()).contains("flaky failure 2");
        assertThat(flaky.attempts.get(id)).hasSize(2);
    }

    @Test
    void permanentFailureIsNotRetried() {
        String id = api.submit("""
                {"type": "flaky", "payload": {"failures": 1, "retryable": false}, "maxAttempts": 5}""");

        JsonNode job = api.awaitTerminal(id);

        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("attempt").asInt()).isEqualTo(1);
        assertThat(job.path("error").path("code").asString()).isEqualTo("bad_input");
        assertThat(flaky.attempts.get(id)).hasSize(1);
    }

    @Test
    void delayedJobStartsNoEarlierThanItsRunAt() {
        String id = api.submit("{\"type\": \"noop\", \"delay\": \"PT0.5S\"}");

        JsonNode job = api.awaitTerminal(id);

        Instant runAt = Instant.parse(job.path("runAt").asString());
        assertThat(Duration.between(Instant.parse(job.path("createdAt").asString()), runAt))
            .isEqualTo(Duration.ofMillis(500));
        assertThat(Instant.parse(job.path("startedAt").asString())).isAfterOrEqualTo(runAt);
    }

    @Test
    void jobAtAnAbsoluteRunAtWaitsForIt() {
        Instant runAt = Instant.now().plusMillis(400);
        String id = api.submit("{\"type\": \"noop\", \"runAt\": \"" + runAt + "\"}");

        JsonNode job = api.awaitTerminal(id);

        assertThat(Instant.parse(job.path("startedAt").asString())).isAfterOrEqualTo(runAt.truncatedTo(java.time.temporal.ChronoUnit.MICROS));
    }

    @Test
    void resultTheStoreRefusesFailsThatJobOnly() {
        String big = api.submit("{\"type\": \"big\"}");
        String small = api.submit("{\"type\": \"noop\"}");

        JsonNode refused = api.awaitTerminal(big);

        assertThat(refused.path("state").asString()).isEqualTo("FAILED");
        assertThat(refused.path("error").path("code").asString()).isEqualTo("result_rejected");
        assertThat(api.awaitTerminal(small).path("state").asString()).isEqualTo("SUCCEEDED");
    }
}
