package dev.spindle.workflow;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code spindle.workflows.max-steps} bounds the steps submitted and the children added. */
@SpindleTest
@TestPropertySource(properties = "spindle.workflows.max-steps=10")
class WorkflowStepBoundTests {

    @LocalServerPort
    int port;

    @Test
    void aWorkflowOverTheBoundIsRefusedWhole() {
        StringBuilder steps = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            steps.append(i == 0 ? "" : ", ").append("{\"id\": \"s").append(i).append("\", \"type\": \"noop\"}");
        }

        Api.Response response = new Api(port).post("/api/v1/workflows", "{\"steps\": [" + steps + "]}");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().path("errors").get(0).asString())
            .isEqualTo("steps: a workflow holds at most 10 steps (spindle.workflows.max-steps); this one has 11");
    }

    /** Adding children past the bound cannot succeed on a retry: the step fails at once, for good. */
    @Test
    void childrenPastTheBoundFailTheStepForGood() {
        Api api = new Api(port);
        String id = api.submitWorkflow("""
                {"steps": [{"id": "f", "type": "fanout", "payload": {"type": "noop", "count": 20}, "maxAttempts": 3}]}""");

        JsonNode done = api.awaitWorkflow(id);

        assertThat(done.path("state").asString()).isEqualTo("FAILED");
        JsonNode step = api.get("/api/v1/jobs/" + Api.step(done, "f").path("jobId").asString()).body();
        assertThat(step.path("error").path("code").asString()).isEqualTo("too_many_steps");
        assertThat(step.path("attempt").asInt()).isEqualTo(1);
        assertThat(done.path("jobs").asInt()).isEqualTo(1);
    }
}
