package dev.spindle.api;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.RespClient;
import dev.spindle.SpindleTest;
import dev.spindle.TestPostgres;
import dev.spindle.StoredJobs;
import dev.spindle.tcp.RespServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NUL characters on PostgreSQL, which cannot store them in {@code text} nor {@code jsonb} (the
 * landed jar answered 500): refused with 400 / {@code -ERR} before the store, or answered as an
 * unknown id, over REST and RESP.
 */
@SpindleTest
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresBadInputTests {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry properties) {
        TestPostgres.schema(properties, "spindle_bad_input_tests");
    }

    @LocalServerPort
    int port;

    @Autowired
    RespServer resp;

    @Autowired
    JdbcClient jdbc;

    Api api;

    long before;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        before = StoredJobs.count(jdbc);
    }

    @AfterEach
    void nothingStoredAndStillServing() {
        assertThat(StoredJobs.count(jdbc)).isEqualTo(before);
        String id = api.submit("{\"type\": \"noop\"}");
        assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            NUL in type            | {"type": "no\\u0000op"}                         | type: must not contain the NUL character
            NUL in idempotency key | {"type": "noop", "idempotencyKey": "k\\u0000"}  | idempotencyKey: must not contain the NUL character
            NUL in a payload value | {"type": "noop", "payload": {"a": "\\u0000"}}   | payload.a: must not contain the NUL character
            NUL in a payload key   | {"type": "noop", "payload": {"\\u0000": 1}}     | payload: must not contain the NUL character
            """)
    void nulInASubmissionIsRefusedOverRestAndResp(String name, String json, String detail) throws Exception {
        Response rest = api.post("/api/v1/jobs", json);
        String overResp;
        try (RespClient client = new RespClient(resp.port())) {
            overResp = client.call(List.of("SUBMIT".getBytes(StandardCharsets.US_ASCII), json.getBytes(StandardCharsets.UTF_8)));
        }

        assertThat(rest.status()).isEqualTo(400);
        assertThat(rest.header("Content-Type")).startsWith("application/problem+json");
        assertThat(rest.body().path("detail").asString()).contains(detail);
        assertThat(overResp).startsWith("-ERR invalid job: ").contains(detail);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            NUL in the type filter  | /api/v1/jobs?type=no%00op | type: must not contain the NUL character
            NUL in the after filter | /api/v1/jobs?after=a%00b  | after: must not contain the NUL character
            """)
    void nulInAQueryParameterIsRefused(String name, String path, String detail) {
        Response response = api.get(path);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().path("detail").asString()).contains(detail);
    }

    @Test
    void anIdWithANulOverRespIsAnUnknownJob() throws Exception {
        byte[] id = "0199\0".getBytes(StandardCharsets.UTF_8);
        try (RespClient client = new RespClient(resp.port())) {
            assertThat(client.call(List.of("GET".getBytes(StandardCharsets.US_ASCII), id))).isEqualTo("$-1");
            assertThat(client.call(List.of("WAIT".getBytes(StandardCharsets.US_ASCII), id, "0".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("$-1");
            assertThat(client.call(List.of("CANCEL".getBytes(StandardCharsets.US_ASCII), id))).isEqualTo(":0");
        }
    }
}
