package dev.spindle.workflow;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.TestHandlers.GateHandler;
import dev.spindle.TestHandlers.JoinHandler;
import dev.spindle.TestHandlers.PipeHandler;
import dev.spindle.TestHandlers.SwitchHandler;
import dev.spindle.job.JobWatchers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workflows end to end over REST, the same on every store: one subclass per database runs them.
 */
abstract class WorkflowScenarios {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    PipeHandler pipe;

    @Autowired
    JoinHandler join;

    @Autowired
    SwitchHandler switchHandler;

    @Autowired
    GateHandler gate;

    @Autowired
    JobWatchers watchers;

    Api api;

    @BeforeEach
    void client() {
        api = new Api(port);
        switchHandler.failing = true;
    }

    @AfterEach
    void openGate() {
        gate.reset();
    }

    @Test
    void diamondJoinsTheResultsOfBothBranches() {
        Response submitted = api.post("/api/v1/workflows", """
                {"name": "diamond", "steps": [
                  {"id": "a", "type": "pipe", "payload": {"add": 1}},
                  {"id": "b", "type": "pipe", "payload": {"add": 10}, "dependsOn": ["a"]},
                  {"id": "c", "type": "pipe", "payload": {"add": 100}, "dependsOn": ["a"]},
                  {"id": "d", "type": "pipe", "payload": {"add": 1000}, "dependsOn": ["b", "c"]}]}""");

        assertThat(submitted.status()).isEqualTo(202);
        assertThat(submitted.header("Location")).isEqualTo("/api/v1/workflows/" + submitted.id());
        assertThat(submitted.state()).isEqualTo("RUNNING");
        assertThat(Api.step(submitted.body(), "a").path("state").asString()).isEqualTo("QUEUED");
        assertThat(Api.step(submitted.body(), "d").path("state").asString()).isIn("WAITING");
        JsonNode done = api.awaitWorkflow(submitted.id());

        assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.path("counts").path("SUCCEEDED").asInt()).isEqualTo(4);
        // d saw both branches' sums: 1000 + (1 + 10) + (1 + 100)
        JsonNode d = done.path("results").path("d");
        assertThat(d.path("sum").asLong()).isEqualTo(1112);
        assertThat(d.path("inputs").toString()).isEqualTo("[\"b\",\"c\"]");
        // only the step nothing depends on is the outcome
        assertThat(done.path("results").propertyNames()).containsExactly("d");
        assertThat(Api.step(done, "d").path("dependsOn").toString()).isEqualTo("[\"b\",\"c\"]");
        for (JsonNode step : done.path("steps")) {
            assertThat(pipe.runs.get(step.path("jobId").asString())).as("runs of %s", step.path("id")).hasValue(1);
            JsonNode job = api.get("/api/v1/jobs/" + step.path("jobId").asString()).body();
            assertThat(job.path("workflowId").asString()).isEqualTo(submitted.id());
            assertThat(job.path("stepId").asString()).isEqualTo(step.path("id").asString());
        }
    }

    @Test
    void chainOfTenPassesEachResultOn() {
        List<String> steps = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            steps.add("{\"id\": \"s%d\", \"type\": \"pipe\", \"payload\": {\"add\": 1}%s}".formatted(i,
                    i == 1 ? "" : ", \"dependsOn\": [\"s" + (i - 1) + "\"]"));
        }
        String id = api.submitWorkflow("{\"steps\": [" + String.join(", ", steps) + "]}");

        JsonNode done = api.awaitWorkflow(id);

        assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.path("results").path("s10").path("sum").asLong()).isEqualTo(10);
        assertThat(done.path("results").path("s10").path("inputs").toString()).isEqualTo("[\"s9\"]");
    }

    static Stream<Arguments> invalidWorkflows() {
        return Stream.of(
                Arguments.of("a cycle of three", """
                        {"steps": [{"id": "a", "type": "noop", "dependsOn": ["c"]},
                                   {"id": "b", "type": "noop", "dependsOn": ["a"]},
                                   {"id": "c", "type": "noop", "dependsOn": ["b"]}]}""",
                        "steps: the dependencies make a cycle (a → b: a depends on b): 'a' → 'c' → 'b' → 'a'"),
                Arguments.of("an unknown dependency", """
                        {"steps": [{"id": "a", "type": "noop"}, {"id": "b", "type": "noop", "dependsOn": ["zz"]}]}""",
                        "steps[1].dependsOn: unknown step 'zz'"),
                Arguments.of("a duplicate id", """
                        {"steps": [{"id": "a", "type": "noop"}, {"id": "a", "type": "noop"}]}""",
                        "steps: step ids must be unique; given more than once: 'a'"),
                Arguments.of("a step naming itself", """
                        {"steps": [{"id": "a", "type": "noop", "dependsOn": ["a"]}]}""",
                        "steps[0].dependsOn: step 'a' depends on itself"),
                Arguments.of("no steps", "{\"steps\": []}", "steps: must hold at least one step"),
                Arguments.of("an unknown failure policy", """
                        {"onFailure": "ignore", "steps": [{"id": "a", "type": "noop"}]}""",
                        "onFailure: must be cancel_dependents or continue"),
                Arguments.of("a step that is not a valid job", """
                        {"steps": [{"id": "a", "type": "noop"}, {"id": "b", "type": "nope"}]}""",
                        "steps[1].type: unknown job type 'nope'"),
                Arguments.of("a step without an id", """
                        {"steps": [{"type": "noop"}]}""", "steps[0].id: must not be blank"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidWorkflows")
    void invalidWorkflowIsRefusedWholeAndNothingIsStored(String what, String body, String error) {
        long workflowsBefore = count("workflows");
        long jobsBefore = count("jobs");

        Response response = api.post("/api/v1/workflows", body);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().path("errors").valueStream().map(JsonNode::asString))
            .anySatisfy(message -> assertThat(message).startsWith(error));
        assertThat(count("workflows")).isEqualTo(workflowsBefore);
        assertThat(count("jobs")).isEqualTo(jobsBefore);
    }

    @Test
    void aFailedStepCancelsWhatDependsOnItAndTheRestRunsOn() {
        String id = api.submitWorkflow("""
                {"steps": [{"id": "a", "type": "switch", "maxAttempts": 1},
                           {"id": "b", "type": "pipe", "dependsOn": ["a"]},
                           {"id": "c", "type": "pipe", "dependsOn": ["b"]},
                           {"id": "x", "type": "pipe", "payload": {"add": 7}}]}""");

        JsonNode done = api.awaitWorkflow(id);

        assertThat(done.path("state").asString()).isEqualTo("FAILED");
        assertThat(Api.step(done, "a").path("state").asString()).isEqualTo("FAILED");
        for (String step : List.of("b", "c")) {
            assertThat(Api.step(done, step).path("state").asString()).isEqualTo("CANCELLED");
            assertThat(Api.step(done, step).path("error").path("code").asString()).isEqualTo("dependency_failed");
        }
        assertThat(Api.step(done, "b").path("error").path("message").asString()).contains("'a'");
        assertThat(Api.step(done, "x").path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.path("results").path("x").path("sum").asLong()).isEqualTo(7);
        assertThat(pipe.runs).doesNotContainKeys(Api.step(done, "b").path("jobId").asString(),
                Api.step(done, "c").path("jobId").asString());
    }

    @Test
    void underContinueDependentsOfAFailedStepRunAnyway() {
        String id = api.submitWorkflow("""
                {"onFailure": "continue", "steps": [{"id": "a", "type": "switch", "maxAttempts": 1},
                           {"id": "b", "type": "pipe", "payload": {"add": 5}, "dependsOn": ["a"]}]}""");

        JsonNode done = api.awaitWorkflow(id);

        assertThat(done.path("onFailure").asString()).isEqualTo("continue");
        assertThat(done.path("state").asString()).isEqualTo("FAILED");
        assertThat(Api.step(done, "a").path("state").asString()).isEqualTo("FAILED");
        assertThat(Api.step(done, "b").path("state").asString()).isEqualTo("SUCCEEDED");
        // b ran, and saw no result of the step that failed
        assertThat(done.path("results").path("b").path("sum").asLong()).isEqualTo(5);
        assertThat(done.path("results").path("b").path("inputs").size()).isZero();
    }

    @Test
    void retryRequeuesTheFailedAndCancelledStepsAndRearmsTheirDependents() {
        String id = api.submitWorkflow("""
                {"steps": [{"id": "a", "type": "switch", "maxAttempts": 1},
                           {"id": "b", "type": "pipe", "payload": {"add": 1}, "dependsOn": ["a"]},
                           {"id": "x", "type": "pipe"}]}""");
        assertThat(api.awaitWorkflow(id).path("state").asString()).isEqualTo("FAILED");
        String x = Api.step(api.get("/api/v1/workflows/" + id).body(), "x").path("jobId").asString();
        // a step's job is retried through its workflow
        assertThat(api.post("/api/v1/jobs/" + Api.step(api.get("/api/v1/workflows/" + id).body(), "a").path("jobId")
            .asString() + "/retry", "").status()).isEqualTo(409);
        switchHandler.failing = false;

        Response retried = api.post("/api/v1/workflows/" + id + "/retry", "");

        assertThat(retried.status()).isEqualTo(202);
        assertThat(retried.state()).isEqualTo("RUNNING");
        JsonNode done = api.awaitWorkflow(id);
        assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(done.path("results").path("b").path("sum").asLong()).isEqualTo(101);
        // what had succeeded did not run again
        assertThat(pipe.runs.get(x)).hasValue(1);
        assertThat(api.post("/api/v1/workflows/" + id + "/retry", "").status()).isEqualTo(409);
    }

    @Test
    void cancelEndsEveryUnfinishedStepAndInterruptsTheRunningOnes() throws Exception {
        String id = api.submitWorkflow("""
                {"steps": [{"id": "g", "type": "gate"},
                           {"id": "h", "type": "pipe", "dependsOn": ["g"]}]}""");
        JsonNode submitted = api.get("/api/v1/workflows/" + id).body();
        String g = Api.step(submitted, "g").path("jobId").asString();
        String h = Api.step(submitted, "h").path("jobId").asString();
        await().until(() -> gate.started.contains(g));
        // a long-poll on the waiting step, begun before the cancel, is answered by it
        CompletableFuture<Response> waiting = CompletableFuture
            .supplyAsync(() -> new Api(port).get("/api/v1/jobs/" + h + "?wait=PT50S"));
        await().until(() -> watchers.waiting() > 0);

        Response cancelled = api.post("/api/v1/workflows/" + id + "/cancel", "");
        assertThat(waiting.get(10, TimeUnit.SECONDS).state()).isEqualTo("CANCELLED");

        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.state()).isEqualTo("CANCELLED");
        JsonNode done = api.awaitWorkflow(id);
        assertThat(done.path("state").asString()).isEqualTo("CANCELLED");
        assertThat(Api.step(done, "g").path("state").asString()).isEqualTo("CANCELLED");
        assertThat(Api.step(done, "h").path("state").asString()).isEqualTo("CANCELLED");
        assertThat(gate.interrupted).contains(g);
        assertThat(api.post("/api/v1/workflows/" + id + "/cancel", "").status()).isEqualTo(409);
    }

    @Test
    void fanOutAddsChildrenAndTheJoinSeesTheirResultsInOrder() {
        // the step fails once after adding its children: the retried attempt adds them again, and
        // none is added twice
        String id = api.submitWorkflow("""
                {"steps": [{"id": "f", "type": "spread", "payload": {"children": 500, "per": 128, "failures": 1},
                            "maxAttempts": 2},
                           {"id": "j", "type": "join", "payload": {"of": "f"}, "dependsOn": ["f"]}]}""");

        JsonNode done = api.awaitWorkflow(id);

        assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(Api.step(done, "f").path("children").asInt()).isEqualTo(500);
        assertThat(done.path("jobs").asInt()).isEqualTo(502);
        assertThat(done.path("counts").path("SUCCEEDED").asInt()).isEqualTo(502);
        JsonNode joined = done.path("results").path("j");
        assertThat(joined.path("count").asInt()).isEqualTo(500);
        assertThat(joined.path("sum").asLong()).isEqualTo(499L * 500 / 2);
        assertThat(joined.path("ordered").asBoolean()).isTrue();
        assertThat(join.runs.get(Api.step(done, "j").path("jobId").asString())).hasValue(1);
    }

    @Test
    void idempotencyKeyGivesTheSameWorkflowBack() {
        String body = """
                {"idempotencyKey": "wf-%s", "steps": [{"id": "a", "type": "noop"}]}""".formatted(System.nanoTime());
        Response first = api.post("/api/v1/workflows", body);
        Response again = api.post("/api/v1/workflows", body);

        assertThat(first.status()).isEqualTo(202);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.id()).isEqualTo(first.id());
    }

    @Test
    void workflowsAreListedNewestFirstByStateAndName() {
        String name = "listed-" + System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(api.submitWorkflow("{\"name\": \"" + name + "\", \"steps\": [{\"id\": \"a\", \"type\": \"noop\"}]}"));
        }
        ids.forEach(api::awaitWorkflow);

        JsonNode first = api.get("/api/v1/workflows?name=" + name + "&limit=2").body();
        JsonNode second = api.get("/api/v1/workflows?name=" + name + "&limit=2&after=" + first.path("next").asString())
            .body();
        JsonNode succeeded = api.get("/api/v1/workflows?state=SUCCEEDED&limit=500").body();

        assertThat(first.path("items").findValuesAsString("id")).containsExactly(ids.get(2), ids.get(1));
        assertThat(second.path("items").findValuesAsString("id")).containsExactly(ids.get(0));
        assertThat(second.path("next").isMissingNode() || second.path("next").isNull()).isTrue();
        assertThat(succeeded.path("items").findValuesAsString("id")).contains(ids.get(2));
        assertThat(api.get("/api/v1/workflows/nope").status()).isEqualTo(404);
    }

    @Test
    void manyWorkflowsAtOnceAllEnd() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add(api.submitWorkflow("""
                    {"steps": [{"id": "b", "type": "pipe", "payload": {"add": 1}},
                               {"id": "c", "type": "pipe", "payload": {"add": 2}},
                               {"id": "d", "type": "pipe", "dependsOn": ["b", "c"]}]}"""));
        }
        AtomicInteger succeeded = new AtomicInteger();
        for (String id : ids) {
            JsonNode done = api.awaitWorkflow(id);
            assertThat(done.path("results").path("d").path("sum").asLong()).isEqualTo(3);
            succeeded.incrementAndGet();
            assertThat(pipe.runs.get(Api.step(done, "d").path("jobId").asString())).hasValue(1);
        }
        assertThat(succeeded).hasValue(40);
    }

    private long count(String table) {
        return jdbc.sql("SELECT COUNT(*) FROM " + table).query(Long.class).single();
    }
}
