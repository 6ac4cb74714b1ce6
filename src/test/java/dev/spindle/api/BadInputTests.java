package dev.spindle.api;

import java.net.http.HttpRequest.BodyPublishers;
import java.util.concurrent.Flow;
import java.nio.ByteBuffer;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input gets a 4xx problem that names the fault, stores nothing, and the service keeps serving. */
@SpindleTest
class BadInputTests {

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed JSON         | /api/v1/jobs       | {"type": "noop",                                       | 400 | Malformed JSON
            trailing garbage       | /api/v1/jobs       | {"type": "noop"} x                                     | 400 | Malformed JSON
            not an object          | /api/v1/jobs       | [1, 2]                                                 | 400 | expected a JobRequest
            empty body             | /api/v1/jobs       | ''                                                     | 400 | missing
            unknown type           | /api/v1/jobs       | {"type": "fax"}                                        | 400 | unknown job type 'fax'
            missing type           | /api/v1/jobs       | {"payload": {}}                                        | 400 | type:
            unknown field          | /api/v1/jobs       | {"type": "noop", "colour": "red"}                      | 400 | Unknown field 'colour'
            priority too high      | /api/v1/jobs       | {"type": "noop", "priority": 10}                       | 400 | priority
            priority negative      | /api/v1/jobs       | {"type": "noop", "priority": -1}                       | 400 | priority
            priority not a number  | /api/v1/jobs       | {"type": "noop", "priority": "high"}                   | 400 | priority
            bad duration           | /api/v1/jobs       | {"type": "noop", "timeout": "ten seconds"}             | 400 | timeout: 'ten seconds' is not a valid Duration
            zero timeout           | /api/v1/jobs       | {"type": "noop", "timeout": "PT0S"}                    | 400 | timeout
            bad runAt              | /api/v1/jobs       | {"type": "noop", "runAt": "tomorrow"}                  | 400 | runAt
            runAt and delay        | /api/v1/jobs       | {"type": "noop", "runAt": "2030-01-01T00:00:00Z", "delay": "PT1S"} | 400 | not both
            negative delay         | /api/v1/jobs       | {"type": "noop", "delay": "-PT1S"}                     | 400 | delay
            payload not an object  | /api/v1/jobs       | {"type": "noop", "payload": 42}                        | 400 | payload: must be a JSON object
            payload rejected       | /api/v1/jobs       | {"type": "sleep", "payload": {"ms": "long"}}           | 400 | payload.ms
            zero attempts          | /api/v1/jobs       | {"type": "noop", "maxAttempts": 0}                     | 400 | maxAttempts
            empty batch            | /api/v1/jobs/batch | {"jobs": []}                                           | 400 | at least one job
            one bad job in a batch | /api/v1/jobs/batch | {"jobs": [{"type": "noop"}, {"type": "noop", "priority": 99}]} | 400 | jobs[1].priority
            bad field in a batch   | /api/v1/jobs/batch | {"jobs": [{"type": "noop"}, {"type": "noop", "x": 1}]} | 400 | Unknown field 'jobs[1].x'
            """)
    void badSubmissionIsRefusedAndNothingIsStored(String name, String path, String body, int status, String detail) {
        long before = storedJobs();

        Response response = api.post(path, body);

        assertThat(response.status()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().path("detail").asString()).contains(detail);
        assertThat(storedJobs()).isEqualTo(before);
        assertStillServing();
    }

    @Test
    void wrongContentTypeAnswers415() {
        long before = storedJobs();

        Response response = api.post("/api/v1/jobs", "type=noop", "application/x-www-form-urlencoded");

        assertThat(response.status()).isEqualTo(415);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(storedJobs()).isEqualTo(before);
        assertStillServing();
    }

    @Test
    void bodyOverTheLimitAnswers413() {
        long before = storedJobs();

        Response response = api.post("/api/v1/jobs", largeJob());

        assertThat(response.status()).isEqualTo(413);
        assertThat(response.body().path("detail").asString()).contains("larger than the limit");
        assertThat(storedJobs()).isEqualTo(before);
        assertStillServing();
    }

    @Test
    void bodyOverTheLimitAnswers413ThroughAnEncodedPath() {
        long before = storedJobs();

        // the same endpoint as /api/v1/jobs once decoded
        Response response = api.post("/%61pi/v1/jobs", largeJob());

        assertThat(response.status()).isEqualTo(413);
        assertThat(storedJobs()).isEqualTo(before);
        assertStillServing();
    }

    @Test
    void chunkedBodyOverTheLimitAnswers413() {
        long before = storedJobs();
        byte[] body = largeJob().getBytes();
        // a publisher of unknown length makes the client send the body chunked, without Content-Length
        Flow.Publisher<ByteBuffer> chunked = BodyPublishers.ofByteArray(body)::subscribe;

        Response response = api.post("/api/v1/jobs", BodyPublishers.fromPublisher(chunked),
                "Content-Type", "application/json");

        assertThat(response.status()).isEqualTo(413);
        assertThat(storedJobs()).isEqualTo(before);
        assertStillServing();
    }

    private static String largeJob() {
        return "{\"type\": \"noop\", \"payload\": {\"blob\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}}";
    }

    private long storedJobs() {
        return StoredJobs.count(jdbc);
    }

    private void assertStillServing() {
        String id = api.submit("{\"type\": \"noop\"}");
        assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
    }
}
