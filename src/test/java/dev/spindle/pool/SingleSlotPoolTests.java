package dev.spindle.pool;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import dev.spindle.TestHandlers.GateHandler;
import dev.spindle.TestHandlers.RecordingHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A pool of one slot and a backlog of 20: dispatch order and admission are exact. */
@SpindleTest
@TestPropertySource(properties = { "spindle.pool.concurrency=1", "spindle.pool.max-queued=20" })
class SingleSlotPoolTests {

    @LocalServerPort
    int port;

    @Autowired
    GateHandler gate;

    @Autowired
    RecordingHandler recorder;

    @Autowired
    JdbcClient jdbc;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        gate.reset();
        recorder.order.clear();
    }

    @AfterEach
    void drain() {
        gate.open();
        await().until(() -> jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state IN ('QUEUED', 'RUNNING')")
            .query(Long.class)
            .single() == 0);
    }

    @Test
    void runsInStrictPriorityOrderThenSubmissionOrder() {
        String blocker = api.submit("{\"type\": \"gate\"}");
        await().until(() -> gate.started.contains(blocker));
        record Submitted(String id, int priority, int sequence) {
        }
        List<Submitted> submitted = new ArrayList<>();
        for (int i = 0; i < 19; i++) {
            int priority = (i * 7) % 10;
            submitted.add(new Submitted(api.submit("{\"type\": \"record\", \"priority\": " + priority + "}"), priority, i));
        }

        gate.open();

        await().until(() -> recorder.order.size() == submitted.size());
        List<String> expected = submitted.stream()
            .sorted(Comparator.comparingInt(Submitted::priority).reversed().thenComparingInt(Submitted::sequence))
            .map(Submitted::id)
            .toList();
        assertThat(recorder.order).containsExactlyElementsOf(expected);
    }

    @Test
    void fullBacklogAnswers503WithRetryAfterAndStoresNothing() {
        String blocker = api.submit("{\"type\": \"gate\"}");
        await().until(() -> gate.started.contains(blocker));
        for (int i = 0; i < 19; i++) {
            api.submit("{\"type\": \"noop\"}");
        }
        Response batch = api.post("/api/v1/jobs/batch", "{\"jobs\": [{\"type\": \"noop\"}, {\"type\": \"noop\"}]}");
        assertThat(batch.status()).isEqualTo(503);
        api.submit("{\"type\": \"noop\"}");
        long stored = StoredJobs.count(jdbc);

        Response full = api.post("/api/v1/jobs", "{\"type\": \"noop\"}");

        assertThat(full.status()).isEqualTo(503);
        assertThat(full.header("Retry-After")).isEqualTo("1");
        assertThat(full.header("Content-Type")).startsWith("application/problem+json");
        assertThat(full.body().path("detail").asString()).contains("backlog is full");
        assertThat(StoredJobs.count(jdbc)).isEqualTo(stored);

        gate.open();
        await().until(() -> api.post("/api/v1/jobs", "{\"type\": \"noop\"}").status() == 202);
    }
}
