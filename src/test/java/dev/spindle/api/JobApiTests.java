package dev.spindle.api;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.TestHandlers.GateHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every endpoint and status code of the REST table, over real HTTP. */
@SpindleTest
class JobApiTests {

    @LocalServerPort
    int port;

    @Autowired
    GateHandler gate;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        gate.reset();
    }

    @Test
    void submitAnswers202WithLocationAndTheJobRuns() {
        Response response = api.post("/api/v1/jobs", """
                {"type": "noop", "payload": {"hello": "world"}, "priority": 7, "maxAttempts": 2, "timeout": "PT5S"}""");

        assertThat(response.status()).isEqualTo(202);
        assertThat(response.header("Location")).isEqualTo("/api/v1/jobs/" + response.id());
        assertThat(response.state()).isEqualTo("QUEUED");
        assertThat(response.body().path("priority").asInt()).isEqualTo(7);
        assertThat(response.body().path("timeout").asString()).isEqualTo("PT5S");

        JsonNode done = api.awaitTerminal(response.id());
        assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.path("result").path("hello").asString()).isEqualTo("world");
        assertThat(done.path("attempt").asInt()).isEqualTo(1);
        assertThat(done.path("node").asString()).isEqualTo("test-node");
        assertThat(Instant.parse(done.path("startedAt").asString()))
            .isAfterOrEqualTo(Instant.parse(done.path("createdAt").asString()));
    }

    @Test
    void sameIdempotencyKeyAnswers200WithTheExistingJob() {
        String key = "order-" + System.nanoTime();
        Response first = api.post("/api/v1/jobs", "{\"type\": \"noop\", \"idempotencyKey\": \"" + key + "\"}");
        Response again = api.post("/api/v1/jobs", "{\"type\": \"noop\", \"idempotencyKey\": \"" + key + "\"}");
        Response byHeader = api.postWithHeaders("/api/v1/jobs", "{\"type\": \"noop\"}", "Idempotency-Key", key);

        assertThat(first.status()).isEqualTo(202);
        assertThat(again.status()).isEqualTo(200);
        assertThat(byHeader.status()).isEqualTo(200);
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(byHeader.id()).isEqualTo(first.id());
        assertThat(api.get("/api/v1/jobs?type=noop&limit=500").body().path("items").valueStream()
            .filter(job -> key.equals(job.path("idempotencyKey").asString(null)))
            .count()).isEqualTo(1);
    }

    @Test
    void idempotencyKeyInHeaderAndBodyMustAgree() {
        Response response = api.postWithHeaders("/api/v1/jobs", "{\"type\": \"noop\", \"idempotencyKey\": \"a\"}",
                "Idempotency-Key", "b");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().path("detail").asString()).contains("Idempotency-Key");
    }

    @Test
    void batchSubmitStoresAllAndRunsThem() {
        String key = "batch-" + System.nanoTime();
        Response response = api.post("/api/v1/jobs/batch", """
                {"jobs": [{"type": "noop", "payload": {"n": 1}},
                          {"type": "noop", "payload": {"n": 2}, "idempotencyKey": "%s"},
                          {"type": "noop", "payload": {"n": 3}, "idempotencyKey": "%s"}]}""".formatted(key, key));

        assertThat(response.status()).isEqualTo(202);
        List<JsonNode> jobs = response.body().path("jobs").valueStream().toList();
        assertThat(jobs).hasSize(3);
        assertThat(jobs.get(2).path("id").asString()).isEqualTo(jobs.get(1).path("id").asString());
        for (JsonNode job : jobs) {
            assertThat(api.awaitTerminal(job.path("id").asString()).path("state").asString()).isEqualTo("SUCCEEDED");
        }
    }

    @Test
    void getUnknownJobAnswers404Problem() {
        Response response = api.get("/api/v1/jobs/01890000-0000-7000-8000-000000000000");

        assertThat(response.status()).isEqualTo(404);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().path("detail").asString()).contains("does not exist");
    }

    @Test
    void longPollAnswersAsSoonAsTheJobFinishes() {
        String id = api.submit("{\"type\": \"gate\"}");
        await().until(() -> gate.started.contains(id));
        CompletableFuture<Response> poll = CompletableFuture.supplyAsync(() -> api.get("/api/v1/jobs/" + id + "?wait=PT30S"));

        gate.open();
        long started = System.nanoTime();
        Response response = poll.join();

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.state()).isEqualTo("SUCCEEDED");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void longPollAnswersTheCurrentStateWhenTheWaitEnds() {
        String id = api.submit("{\"type\": \"gate\"}");
        await().until(() -> gate.started.contains(id));

        Response response = api.get("/api/v1/jobs/" + id + "?wait=PT0.2S");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.state()).isEqualTo("RUNNING");
        gate.open();
    }

    @Test
    void progressReportedByTheHandlerIsVisible() {
        String id = api.submit("{\"type\": \"gate\"}");

        await().until(() -> api.get("/api/v1/jobs/" + id).body().path("progress").asDouble(0) == 0.5);
        gate.open();

        assertThat(api.awaitTerminal(id).path("progress").asDouble()).isEqualTo(1.0);
    }

    @Test
    void waitLongerThanTheLimitAnswers400() {
        String id = api.submit("{\"type\": \"noop\"}");

        Response response = api.get("/api/v1/jobs/" + id + "?wait=PT5M");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().path("detail").asString()).contains("wait");
    }

    @Test
    void listPagesNewestFirstWithFilters() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(api.submit("{\"type\": \"record\", \"payload\": {\"i\": " + i + "}}"));
        }
        ids.forEach(api::awaitTerminal);

        List<String> seen = new ArrayList<>();
        String next = null;
        do {
            Response page = api.get("/api/v1/jobs?type=record&state=SUCCEEDED&limit=2" + (next == null ? "" : "&after=" + next));
            assertThat(page.status()).isEqualTo(200);
            List<JsonNode> items = page.body().path("items").valueStream().toList();
            assertThat(items).hasSizeLessThanOrEqualTo(2);
            items.forEach(job -> {
                assertThat(job.path("type").asString()).isEqualTo("record");
                assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
                seen.add(job.path("id").asString());
            });
            next = page.body().path("next").asString(null);
        }
        while (next != null);

        assertThat(seen).containsAll(ids);
        assertThat(seen).isSortedAccordingTo((a, b) -> b.compareTo(a));
        assertThat(seen.indexOf(ids.get(4))).isLessThan(seen.indexOf(ids.get(0)));
    }

    @Test
    void listWithBadFiltersAnswers400() {
        assertThat(api.get("/api/v1/jobs?state=DONE").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/jobs?state=DONE").body().path("detail").asString()).contains("QUEUED");
        assertThat(api.get("/api/v1/jobs?limit=0").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/jobs?limit=abc").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/jobs?limit=100000").status()).isEqualTo(400);
    }

    @Test
    void cancelOfAQueuedJobAnswers200AndItNeverRuns() {
        String id = api.submit("{\"type\": \"record\", \"delay\": \"PT1H\"}");

        Response cancelled = api.post("/api/v1/jobs/" + id + "/cancel", "");

        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.state()).isEqualTo("CANCELLED");
        assertThat(cancelled.body().path("error").path("code").asString()).isEqualTo("cancelled");
        assertThat(api.get("/api/v1/jobs/" + id).state()).isEqualTo("CANCELLED");
        assertThat(api.post("/api/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(409);
    }

    @Test
    void cancelOfARunningJobInterruptsItsHandler() {
        String id = api.submit("{\"type\": \"gate\"}");
        await().until(() -> gate.started.contains(id));

        Response cancelling = api.post("/api/v1/jobs/" + id + "/cancel", "");

        assertThat(cancelling.status()).isEqualTo(202);
        JsonNode done = api.awaitTerminal(id);
        assertThat(done.path("state").asString()).isEqualTo("CANCELLED");
        assertThat(done.path("error").path("code").asString()).isEqualTo("cancelled");
        assertThat(gate.interrupted).contains(id);
    }

    @Test
    void cancelOfAnUnknownJobAnswers404() {
        assertThat(api.post("/api/v1/jobs/nope/cancel", "").status()).isEqualTo(404);
    }

    @Test
    void retryRequeuesACancelledJobWithFreshAttempts() {
        String id = api.submit("{\"type\": \"noop\", \"delay\": \"PT1H\"}");
        api.post("/api/v1/jobs/" + id + "/cancel", "");

        Response retried = api.post("/api/v1/jobs/" + id + "/retry", "");

        assertThat(retried.status()).isEqualTo(202);
        assertThat(retried.state()).isEqualTo("QUEUED");
        assertThat(retried.body().path("attempt").asInt()).isZero();
        JsonNode done = api.awaitTerminal(id);
        assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.path("error").isMissingNode()).isTrue();
    }

    @Test
    void retryOfASucceededJobAnswers409AndOfAnUnknownJob404() {
        String id = api.submit("{\"type\": \"noop\"}");
        api.awaitTerminal(id);

        assertThat(api.post("/api/v1/jobs/" + id + "/retry", "").status()).isEqualTo(409);
        assertThat(api.post("/api/v1/jobs/nope/retry", "").status()).isEqualTo(404);
    }

    @Test
    void jobTypesListsEveryHandlerWithItsDescription() {
        Response response = api.get("/api/v1/job-types");

        assertThat(response.status()).isEqualTo(200);
        List<String> names = response.body().valueStream().map(type -> type.path("name").asString()).toList();
        assertThat(names).contains("noop", "sleep", "gate");
        assertThat(response.body().valueStream()).allMatch(type -> !type.path("description").asString().isBlank());
    }
}
