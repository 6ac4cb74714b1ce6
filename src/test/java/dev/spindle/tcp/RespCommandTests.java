package dev.spindle.tcp;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import dev.spindle.Api;
import dev.spindle.RespCommand;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every command through Jedis, a real Redis client, and the same jobs as seen over REST. */
@SpindleTest
class RespCommandTests {

    @Autowired
    RespServer server;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    MeterRegistry meters;

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    Jedis jedis;

    Api api;

    @BeforeEach
    void connect() {
        // past the WAITs below (10 s): the 2 s default read timeout cut them off on a loaded machine
        jedis = new Jedis("127.0.0.1", server.port(), 30_000);
        api = new Api(port);
    }

    @AfterEach
    void disconnect() {
        jedis.close();
    }

    @Test
    void pingAnswersPongOrItsMessage() {
        assertThat(jedis.ping()).isEqualTo("PONG");
        assertThat(text(jedis.sendCommand(RespCommand.PING, "hello there"))).isEqualTo("hello there");
    }

    @Test
    void submitGetAndWaitShowTheSameJobAsRest() {
        String id = text(jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\", \"payload\": {\"n\": 7}}"));

        JsonNode waited = Api.parse(text(jedis.sendCommand(RespCommand.WAIT, id, "10000")));
        JsonNode got = Api.parse(text(jedis.sendCommand(RespCommand.GET, id)));

        assertThat(waited.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(waited.path("result").path("n").asInt()).isEqualTo(7);
        assertThat(got).isEqualTo(api.get("/api/v1/jobs/" + id).body());
    }

    @Test
    void anUnknownJobIsNil() {
        assertThat(jedis.sendCommand(RespCommand.GET, "01890000-0000-7000-8000-000000000000")).isNull();
        assertThat(jedis.sendCommand(RespCommand.WAIT, "01890000-0000-7000-8000-000000000000", "10")).isNull();
        assertThat(jedis.sendCommand(RespCommand.GET, "x".repeat(10_000))).isNull();
    }

    @Test
    void waitReturnsTheJobAsItStandsWhenTheTimeoutEnds() {
        String id = text(jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"sleep\", \"payload\": {\"ms\": 60000}, \"delay\": \"PT1H\"}"));

        JsonNode job = Api.parse(text(jedis.sendCommand(RespCommand.WAIT, id, "50")));

        assertThat(job.path("state").asString()).isEqualTo("QUEUED");
        assertThat(jedis.sendCommand(RespCommand.CANCEL, id)).isEqualTo(1L);
    }

    @Test
    void cancelAnswersOneForAQueuedJobAndZeroForAFinishedOrUnknownOne() {
        String id = text(jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\", \"delay\": \"PT1H\"}"));

        assertThat(jedis.sendCommand(RespCommand.CANCEL, id)).isEqualTo(1L);
        assertThat(jedis.sendCommand(RespCommand.CANCEL, id)).isEqualTo(0L);
        assertThat(jedis.sendCommand(RespCommand.CANCEL, "no-such-job")).isEqualTo(0L);
        assertThat(api.get("/api/v1/jobs/" + id).state()).isEqualTo("CANCELLED");
    }

    @Test
    void theSameIdempotencyKeyGivesTheSameJob() {
        String job = "{\"type\": \"noop\", \"idempotencyKey\": \"resp-key-1\"}";

        assertThat(text(jedis.sendCommand(RespCommand.SUBMIT, job))).isEqualTo(text(jedis.sendCommand(RespCommand.SUBMIT, job)));
    }

    @Test
    void statsIsThePoolAsJson() {
        JsonNode stats = Api.parse(text(jedis.sendCommand(RespCommand.STATS)));

        assertThat(stats.path("concurrency").asInt()).isEqualTo(64);
        assertThat(stats.path("node").asString()).isEqualTo("test-node");
        assertThat(stats.has("running")).isTrue();
        assertThat(stats.has("queued")).isTrue();
    }

    @Test
    void badSubmissionsAreErrorsThatStoreNothingAndLeaveTheConnectionUsable() {
        long before = jobCount();

        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\", \"colour\": \"red\"}"))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("ERR invalid job: Unknown field 'colour'");
        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"fax\"}"))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("unknown job type 'fax'");
        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": "))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("Malformed JSON");
        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\", \"priority\": 10}"))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("priority");
        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("wrong number of arguments for 'submit'");
        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.WAIT, "id", "soon"))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("timeout must be");
        assertThatThrownBy(() -> jedis.sendCommand(RespCommand.HELLO, "3"))
            .isInstanceOf(JedisDataException.class).hasMessageContaining("unknown command 'HELLO'");

        assertThat(jobCount()).isEqualTo(before);
        assertThat(jedis.ping()).isEqualTo("PONG");
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() {
        List<Response<Object>> submitted = new ArrayList<>();
        try (Pipeline pipeline = jedis.pipelined()) {
            IntStream.range(0, 200).forEach(i -> {
                submitted.add(pipeline.sendCommand(RespCommand.SUBMIT, "{\"type\": \"noop\", \"payload\": {\"n\": " + i + "}}"));
                pipeline.sendCommand(RespCommand.PING, "p" + i);
            });
            pipeline.sync();
        }
        List<String> ids = submitted.stream().map(response -> text(response.get())).toList();

        List<Response<Object>> waited = new ArrayList<>();
        try (Pipeline pipeline = jedis.pipelined()) {
            ids.forEach(id -> waited.add(pipeline.sendCommand(RespCommand.WAIT, id, "10000")));
            pipeline.sync();
        }
        for (int i = 0; i < ids.size(); i++) {
            JsonNode job = Api.parse(text(waited.get(i).get()));
            assertThat(job.path("id").asString()).isEqualTo(ids.get(i));
            assertThat(job.path("result").path("n").asInt()).isEqualTo(i);
        }
    }

    @Test
    void inlineCommandsWorkFromAPlainSocket() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));

            out.write("PING\r\nSUBMIT {\"type\": \"noop\", \"payload\": {\"via\": \"nc\"}}\nping \"two words\"\r\nQUIT\r\n"
                .getBytes(StandardCharsets.UTF_8));

            assertThat(in.readLine()).isEqualTo("+PONG");
            assertThat(in.readLine()).isEqualTo("$36");
            String id = in.readLine();
            assertThat(in.readLine()).isEqualTo("$9");
            assertThat(in.readLine()).isEqualTo("two words");
            assertThat(in.readLine()).isEqualTo("+OK");
            assertThat(in.readLine()).as("closed after QUIT").isNull();
            assertThat(api.awaitTerminal(id).path("result").path("via").asString()).isEqualTo("nc");
        }
    }

    @Test
    void quitClosesTheConnection() {
        assertThat(text(jedis.sendCommand(RespCommand.QUIT))).isEqualTo("OK");
    }

    @Test
    void healthAndMetricsShowTheListener() {
        jedis.ping();

        JsonNode health = new Api(managementPort).get("/actuator/health/tcp").body();

        assertThat(health.path("status").asString()).isEqualTo("UP");
        assertThat(health.path("details").path("port").asInt()).isEqualTo(server.port());
        assertThat(health.path("details").path("connections").asInt()).isPositive();
        assertThat(new Api(managementPort).get("/actuator/health/readiness").body().path("components").has("tcp")).isTrue();
        assertThat(meters.get("spindle.tcp.commands").tag("command", "ping").counter().count()).isPositive();
        assertThat(meters.get("spindle.tcp.connections").gauge().value()).isPositive();
        assertThat(meters.get("spindle.tcp.connections.accepted").counter().count()).isPositive();
    }

    private long jobCount() {
        return StoredJobs.count(jdbc);
    }

    private static String text(Object reply) {
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(reply);
    }
}
