package dev.spindle.pool;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rows the API would never write, put in the store behind its back (by an older version, by hand):
 * instants at the ends of what the store holds, payloads and results that are not JSON, timeouts
 * no timer takes. The pool of two slots runs what it can, fails what it cannot read with
 * {@code internal_error}, gives every slot back, and keeps serving; nothing logs an ERROR per poll.
 */
@SpindleTest
@TestPropertySource(properties = { "spindle.pool.concurrency=2", "spindle.cluster.poll-interval=100ms" })
@ExtendWith(OutputCaptureExtension.class)
class PoisonedRowsTests {

    /** SQLite keeps instants as epoch microseconds in a long: these are its ends. */
    private static final long EARLIEST = Long.MIN_VALUE + 1;

    private static final long LATEST = Long.MAX_VALUE;

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Test
    void runAtInTheFarPastRunsAndLeavesNoSlotBehind() {
        Api api = new Api(port);
        List<String> ids = new ArrayList<>();
        // more than the slots: a leaked slot would leave some of them QUEUED for ever
        for (int i = 0; i < 3; i++) {
            ids.add(insert("noop", "{}", micros(Instant.parse("1700-01-01T00:00:00Z")), 30_000));
            ids.add(insert("noop", "{}", EARLIEST, 30_000));
        }
        api.submit("{\"type\": \"noop\"}");

        for (String id : ids) {
            assertThat(api.awaitTerminal(id).path("state").asString()).as(id).isEqualTo("SUCCEEDED");
        }
        assertServing(api);
    }

    @Test
    void unreadableRowsFailAloneWithInternalError(CapturedOutput output) {
        Api api = new Api(port);
        String badPayload = insert("noop", "{not json", 0, 30_000);
        String badResult = insert("noop", "{}", 0, 30_000);
        jdbc.sql("UPDATE jobs SET result = '[1,' WHERE id = ?").param(badResult).update();
        String hugeTimeout = insert("noop", "{}", 0, Long.MAX_VALUE);
        String good = api.submit("{\"type\": \"noop\"}");

        assertThat(api.awaitTerminal(good).path("state").asString()).isEqualTo("SUCCEEDED");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(storedState(badPayload)).isEqualTo("FAILED");
            assertThat(storedState(badResult)).isEqualTo("FAILED");
            assertThat(storedState(hugeTimeout)).isIn("SUCCEEDED", "FAILED");
        });
        for (String id : List.of(badPayload, badResult)) {
            assertThat(jdbc.sql("SELECT error_code FROM jobs WHERE id = ?").param(id).query(String.class).single())
                .as(id).isEqualTo("internal_error");
            assertThat(output.getOut()).as("logged once").containsOnlyOnce(id);
        }
        assertServing(api);
    }

    @Test
    void farFutureJobsWaitQuietly(CapturedOutput output) {
        Api api = new Api(port);
        // beyond what intake takes now (spindle.jobs.max-delay), but written by an older version
        String delayed = insert("noop", "{}", ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now().plus(Duration.ofDays(120_000))), 30_000);
        String latest = insert("noop", "{}", LATEST, 30_000);
        // the loop sleeps and wakes several poll intervals meanwhile, and still serves
        for (int i = 0; i < 5; i++) {
            assertServing(api);
        }

        assertThat(storedState(delayed)).isEqualTo("QUEUED");
        assertThat(storedState(latest)).isEqualTo("QUEUED");
        assertThat(output.getOut()).doesNotContain(" ERROR ").doesNotContain("ArithmeticException")
            .doesNotContain("DateTimeException");
        jdbc.sql("DELETE FROM jobs WHERE id IN (?, ?)").params(delayed, latest).update();
    }

    private void assertServing(Api api) {
        List<String> quick = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            quick.add(api.submit("{\"type\": \"noop\"}"));
        }
        for (String id : quick) {
            JsonNode job = api.awaitTerminal(id);
            assertThat(job.path("state").asString()).as(id).isEqualTo("SUCCEEDED");
        }
        assertThat(jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state = 'RUNNING'").query(Long.class).single())
            .as("nothing left RUNNING").isZero();
    }

    private String storedState(String id) {
        return jdbc.sql("SELECT state FROM jobs WHERE id = ?").param(id).query(String.class).single();
    }

    private String insert(String type, String payload, long runAtMicros, long timeoutMillis) {
        String id = UUID.randomUUID().toString();
        jdbc.sql("""
                INSERT INTO jobs (id, type, payload, state, priority, max_attempts, attempt, timeout_ms, run_at, created_at)
                VALUES (?, ?, ?, 'QUEUED', 0, 1, 0, ?, ?, ?)""")
            .params(id, type, payload, timeoutMillis, runAtMicros, micros(Instant.now()))
            .update();
        return id;
    }

    private static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }
}
