package dev.spindle.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.TestHandlers.GateHandler;
import dev.spindle.TestHandlers.RecordingHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Queues over REST on the embedded store: queue and key on a job, limits, pause and resume, fair turns. */
@SpindleTest
@TestPropertySource(properties = { "spindle.queues.calls.max-running-per-key=2", "spindle.queues.partner.max-running=3",
        "spindle.queues.partner.weight=2", "spindle.pool.max-queued=200000" })
class QueueTests {

    private static final Logger log = LoggerFactory.getLogger(QueueTests.class);

    @LocalServerPort
    int port;

    @Autowired
    GateHandler gate;

    @Autowired
    RecordingHandler recorder;

    @Autowired
    org.springframework.jdbc.core.simple.JdbcClient jdbc;

    Api api;

    @BeforeEach
    void client() {
        api = new Api(port);
        gate.reset();
        recorder.order.clear();
    }

    @AfterEach
    void openGate() {
        gate.open();
    }

    @Test
    void aJobNamesItsQueueAndConcurrencyKey() {
        Response submitted = api.post("/api/v1/jobs", """
                {"type": "noop", "queue": "exports", "concurrencyKey": "customer-42"}""");
        Response plain = api.post("/api/v1/jobs", "{\"type\": \"noop\"}");

        assertThat(submitted.status()).isEqualTo(202);
        assertThat(submitted.body().path("queue").asString()).isEqualTo("exports");
        assertThat(submitted.body().path("concurrencyKey").asString()).isEqualTo("customer-42");
        assertThat(api.get("/api/v1/jobs/" + submitted.id()).body().path("queue").asString()).isEqualTo("exports");
        assertThat(plain.body().path("queue").asString()).isEqualTo("default");
        assertThat(absent(plain.body().path("concurrencyKey"))).isTrue();
    }

    @Test
    void aBadQueueOrKeyIsRefusedNamingTheFieldAndNothingIsStored() {
        for (String body : List.of("{\"type\": \"noop\", \"queue\": \"../etc\"}", "{\"type\": \"noop\", \"queue\": \"\"}",
                "{\"type\": \"noop\", \"queue\": \"" + "q".repeat(65) + "\"}", "{\"type\": \"noop\", \"queue\": \"Reports\"}",
                "{\"type\": \"noop\", \"queue\": \"a.b\"}")) {
            Response refused = api.post("/api/v1/jobs", body);
            assertThat(refused.status()).as(body).isEqualTo(400);
            assertThat(refused.body().path("errors").get(0).asString()).as(body).startsWith("queue:");
        }
        Response key = api.post("/api/v1/jobs", "{\"type\": \"noop\", \"concurrencyKey\": \"\"}");
        assertThat(key.status()).isEqualTo(400);
        assertThat(key.body().path("errors").get(0).asString()).startsWith("concurrencyKey:");
        Response batch = api.post("/api/v1/jobs/batch", """
                {"jobs": [{"type": "noop", "queue": "fine"}, {"type": "noop", "queue": "not fine"}]}""");
        assertThat(batch.status()).isEqualTo(400);
        assertThat(batch.body().path("errors").get(0).asString()).startsWith("jobs[1].queue:");
        assertThat(api.get("/api/v1/queues").body().path("items").findValuesAsString("name")).doesNotContain("fine");
        assertThat(api.get("/api/v1/queues/fine").status()).isEqualTo(404);
    }

    @Test
    void queuesAreListedWithTheirLimits() {
        JsonNode queues = api.get("/api/v1/queues").body().path("items");
        JsonNode partner = find(queues, "partner");
        assertThat(partner.path("configured").asBoolean()).isTrue();
        assertThat(partner.path("limits").path("maxRunning").asInt()).isEqualTo(3);
        assertThat(absent(partner.path("limits").path("maxRunningPerKey"))).isTrue();
        assertThat(partner.path("limits").path("weight").asInt()).isEqualTo(2);
        assertThat(find(queues, "calls").path("limits").path("maxRunningPerKey").asInt()).isEqualTo(2);
        assertThat(api.get("/api/v1/queues/calls").body().path("name").asString()).isEqualTo("calls");

        Response unknown = api.get("/api/v1/queues/nowhere");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.raw().headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(api.post("/api/v1/queues/bad%20name/pause", "").status()).isEqualTo(400);
        // an empty queue nothing configures: paused and resumed, answered as it stands
        Response resumed = api.post("/api/v1/queues/never-used/resume", "");
        assertThat(resumed.status()).isEqualTo(200);
        assertThat(resumed.body().path("paused").asBoolean()).isFalse();
    }

    @Test
    void aKeyAtItsLimitWaitsWhileOtherKeysRun() {
        List<String> first = submit(5, "gate", "calls", "k1");
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.started.size() == 2);
        List<String> other = submit(1, "gate", "calls", "k2");
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.started.size() == 3);
        assertThat(gate.started).containsAll(other);
        // a job submitted after them runs: had the held-back ones been claimable, they would have gone first
        String after = submit(1, "noop", "default", null).getFirst();
        awaitState(after, "SUCCEEDED");
        JsonNode calls = api.get("/api/v1/queues/calls").body();
        assertThat(calls.path("running").asLong()).isEqualTo(3);
        assertThat(calls.path("heldBack").asLong()).isEqualTo(3);
        assertThat(gate.started).hasSize(3);
        for (String id : first) {
            if (!gate.started.contains(id)) {
                assertThat(api.get("/api/v1/jobs/" + id).body().path("attempt").asInt()).as("no attempt spent").isZero();
            }
        }

        gate.open();
        first.forEach(id -> awaitState(id, "SUCCEEDED"));
        assertThat(api.get("/api/v1/queues/calls").body().path("heldBack").asLong()).isZero();
    }

    @Test
    void aPausedQueueStartsNothingUntilResumed() {
        Response paused = api.post("/api/v1/queues/reports/pause", "");
        assertThat(paused.status()).isEqualTo(200);
        assertThat(paused.body().path("paused").asBoolean()).isTrue();
        List<String> reports = submit(3, "noop", "reports", null);
        String after = submit(1, "noop", "default", null).getFirst();
        awaitState(after, "SUCCEEDED");
        reports.forEach(id -> assertThat(api.get("/api/v1/jobs/" + id).state()).isEqualTo("QUEUED"));
        assertThat(api.get("/api/v1/queues/reports").body().path("queued").asLong()).isEqualTo(3);

        Response resumed = api.post("/api/v1/queues/reports/resume", "");
        assertThat(resumed.body().path("paused").asBoolean()).isFalse();
        reports.forEach(id -> awaitState(id, "SUCCEEDED"));
    }

    /**
     * 100,000 jobs of key A queued, then 10 of key B: every B job starts within the first two
     * claims (the turns give B every other slot of a claim), not behind A's backlog.
     */
    @Test
    void aKeysSingleJobsDoNotWaitBehindAnotherKeysBacklog() {
        api.post("/api/v1/queues/bulk/pause", "");
        for (int batch = 0; batch < 100; batch++) {
            assertThat(api.post("/api/v1/jobs/batch", batchOf(1000, "A")).status()).isEqualTo(202);
        }
        List<String> b = new ArrayList<>();
        api.post("/api/v1/jobs/batch", batchOf(10, "B")).body().path("jobs").forEach(job -> b.add(job.path("id").asString()));
        assertThat(b).hasSize(10);
        long resumedAt = System.nanoTime();
        api.post("/api/v1/queues/bulk/resume", "");
        await().atMost(Duration.ofSeconds(30)).until(() -> recorder.order.containsAll(b));
        long tookMicros = (System.nanoTime() - resumedAt) / 1000;

        // the jobs of one claim share its started_at: count the claims up to B's last start
        long bLastStart = b.stream()
            .mapToLong(id -> micros(api.get("/api/v1/jobs/" + id).body().path("startedAt").asString()))
            .max()
            .orElseThrow();
        long claims = jdbc.sql("SELECT COUNT(DISTINCT started_at) FROM jobs WHERE queue = 'bulk' AND started_at <= ?")
            .param(bLastStart)
            .query(Long.class)
            .single();
        long aBefore = jdbc.sql("SELECT COUNT(*) FROM jobs WHERE concurrency_key = 'A' AND started_at <= ?")
            .param(bLastStart)
            .query(Long.class)
            .single();
        log.info("10 B jobs behind 100,000 A jobs: all started within {} claims ({} A jobs started by then), "
                + "the last {} µs after the resume was asked (as the test saw it)", claims, aBefore, tookMicros);
        assertThat(claims).as("claims up to B's last start").isLessThanOrEqualTo(2);
    }

    private static String batchOf(int n, String key) {
        return IntStream.range(0, n)
            .mapToObj(i -> "{\"type\": \"record\", \"queue\": \"bulk\", \"concurrencyKey\": \"" + key + "\"}")
            .collect(Collectors.joining(", ", "{\"jobs\": [", "]}"));
    }

    private static long micros(String instant) {
        return java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, java.time.Instant.parse(instant));
    }

    private List<String> submit(int n, String type, String queue, String key) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String keyField = key == null ? "" : ", \"concurrencyKey\": \"" + key + "\"";
            Response response = api.post("/api/v1/jobs",
                    "{\"type\": \"" + type + "\", \"queue\": \"" + queue + "\"" + keyField + "}");
            assertThat(response.status()).isEqualTo(202);
            ids.add(response.id());
        }
        return ids;
    }

    private void awaitState(String id, String state) {
        await().atMost(Duration.ofSeconds(20)).until(() -> state.equals(api.get("/api/v1/jobs/" + id).state()));
    }

    /** Null, or left out as nulls are. */
    private static boolean absent(JsonNode node) {
        return node.isNull() || node.isMissingNode();
    }

    private static JsonNode find(JsonNode queues, String name) {
        for (JsonNode queue : queues) {
            if (queue.path("name").asString().equals(name)) {
                return queue;
            }
        }
        throw new AssertionError("no queue " + name + " in " + queues);
    }
}
