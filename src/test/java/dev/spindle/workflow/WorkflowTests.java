package dev.spindle.workflow;

import java.time.Duration;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import dev.spindle.tcp.RespServer;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Workflows on the embedded SQLite store, over REST, and over RESP with Jedis. */
@SpindleTest
class WorkflowTests extends WorkflowScenarios {

    @Autowired
    RespServer resp;

    @Autowired
    WorkflowService workflows;

    @Autowired
    JsonMapper json;

    /** A command Jedis does not know, sent as it is. */
    private record Command(String name) implements ProtocolCommand {

        @Override
        public byte[] getRaw() {
            return SafeEncoder.encode(name);
        }
    }

    @Test
    void workflowsAreSubmittedAwaitedAndCancelledOverResp() {
        try (Jedis jedis = new Jedis("127.0.0.1", resp.port(), 30_000)) {
            String id = SafeEncoder.encode((byte[]) jedis.sendCommand(new Command("WORKFLOW.SUBMIT"), """
                    {"steps": [{"id": "a", "type": "pipe", "payload": {"add": 2}},
                               {"id": "b", "type": "pipe", "payload": {"add": 3}, "dependsOn": ["a"]}]}"""));

            JsonNode done = Api.parse(SafeEncoder.encode((byte[]) jedis.sendCommand(new Command("WORKFLOW.WAIT"), id,
                    "10000")));
            JsonNode read = Api.parse(SafeEncoder.encode((byte[]) jedis.sendCommand(new Command("WORKFLOW.GET"), id)));

            assertThat(done.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(done.path("results").path("b").path("sum").asLong()).isEqualTo(5);
            assertThat(read).isEqualTo(done);
            assertThat(jedis.sendCommand(new Command("WORKFLOW.GET"), "no-such-workflow")).isNull();
            // an ended workflow cannot be cancelled
            assertThat(jedis.sendCommand(new Command("WORKFLOW.CANCEL"), id)).isEqualTo(0L);
            assertThatThrownBy(() -> jedis.sendCommand(new Command("WORKFLOW.SUBMIT"), """
                    {"steps": [{"id": "a", "type": "noop", "dependsOn": ["a"]}]}"""))
                .isInstanceOf(JedisDataException.class)
                .hasMessageContaining("invalid workflow: steps[0].dependsOn: step 'a' depends on itself");
            assertThatThrownBy(() -> jedis.sendCommand(new Command("WORKFLOW.SUBMIT"), "{\"steps\": "))
                .isInstanceOf(JedisDataException.class)
                .hasMessageStartingWith("ERR invalid workflow");
            // the connection still serves
            assertThat(jedis.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void theCallerSubmitsTheWorkflowItsStepsAndTheChildrenTheyAdd() {
        WorkflowRequest request = json.readValue("""
                {"steps": [{"id": "fan", "type": "fanout", "payload": {"type": "noop", "count": 2}},
                           {"id": "after", "type": "noop", "dependsOn": ["fan"]}]}""", WorkflowRequest.class);
        // as an authenticated request's thread holds its caller; the children are added on a worker's
        SecurityContextHolder.getContext()
            .setAuthentication(UsernamePasswordAuthenticationToken.authenticated("alice", null, List.of()));
        String id;
        try {
            id = workflows.submit(request).workflow().id();
        }
        finally {
            SecurityContextHolder.clearContext();
        }

        WorkflowView done = workflows.await(id, Duration.ofSeconds(30));
        assertThat(done.state()).isEqualTo(WorkflowState.SUCCEEDED);
        assertThat(done.submittedBy()).isEqualTo("alice");
        assertThat(jdbc.sql("SELECT submitted_by FROM jobs WHERE workflow_id = ?").param(id)
            .query((rs, row) -> rs.getString(1)).list())
            .as("two steps and two children").hasSize(4).containsOnly("alice");
    }

    @Test
    void badReadsAreRefused() {
        assertThat(api.get("/api/v1/workflows/unknown?wait=PT5S").status()).isEqualTo(404);
        assertThat(api.get("/api/v1/workflows/x?wait=PT1000H").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/workflows?limit=0").status()).isEqualTo(400);
        assertThat(api.get("/api/v1/workflows?state=DONE").status()).isEqualTo(400);
    }
}
