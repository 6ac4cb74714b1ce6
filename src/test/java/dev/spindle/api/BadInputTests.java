package dev.spindle.api;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.concurrent.Flow;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.RawHttp;
import dev.spindle.RawHttp.Answer;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input gets a 4xx problem that names the fault, stores nothing, and the service keeps serving. */
@SpindleTest
class BadInputTests {

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @Autowired
    JdbcClient jdbc;

    Api api;

    RawHttp raw;

    @BeforeEach
    void setUp() {
        api = new Api(port);
        raw = new RawHttp(port);
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
            sleep ms beyond long   | /api/v1/jobs       | {"type": "sleep", "payload": {"ms": 99999999999999999999}} | 400 | payload.ms must be a whole number
            priority beyond int    | /api/v1/jobs       | {"type": "noop", "priority": 99999999999999999999}      | 400 | priority: the number is out of the range of int
            attempts over the max  | /api/v1/jobs       | {"type": "noop", "maxAttempts": 101}                   | 400 | maxAttempts
            delay of Long.MAX s    | /api/v1/jobs       | {"type": "noop", "delay": "PT9223372036854775807S"}    | 400 | delay: must be from PT0S to PT8760H
            delay beyond a long    | /api/v1/jobs       | {"type": "noop", "delay": "PT99999999999999999999S"}   | 400 | delay: 'PT99999999999999999999S' is not a valid Duration
            far-future delay       | /api/v1/jobs       | {"type": "noop", "delay": "P120000D"}                  | 400 | delay: must be from PT0S to PT8760H
            timeout of Long.MAX s  | /api/v1/jobs       | {"type": "noop", "timeout": "PT9223372036854775807S"}  | 400 | timeout: must be more than PT0S and at most PT24H
            runAt at Instant.MAX   | /api/v1/jobs       | {"type": "noop", "runAt": "+1000000000-12-31T23:59:59Z"} | 400 | runAt: must be from
            runAt beyond Instant   | /api/v1/jobs       | {"type": "noop", "runAt": "+1000000001-01-01T00:00:00Z"} | 400 | runAt: '+1000000001-01-01T00:00:00Z' is not a valid Instant
            runAt in the far past  | /api/v1/jobs       | {"type": "noop", "runAt": "1700-01-01T00:00:00Z"}      | 400 | runAt: must be from
            runAt in a batch       | /api/v1/jobs/batch | {"jobs": [{"type": "noop"}, {"type": "noop", "runAt": "1700-01-01T00:00:00Z"}]} | 400 | jobs[1].runAt: must be from
            runAt past max-delay   | /api/v1/jobs       | {"type": "noop", "runAt": "2200-01-01T00:00:00Z"}      | 400 | spindle.jobs.max-delay
            null job in a batch    | /api/v1/jobs/batch | {"jobs": [null]}                                       | 400 | jobs[0]: must be a job object, not null
            null job after a good  | /api/v1/jobs/batch | {"jobs": [{"type": "noop"}, null]}                     | 400 | jobs[1]: must be a job object, not null
            null body              | /api/v1/jobs       | null                                                   | 400 | missing
            duplicate key          | /api/v1/jobs       | {"type": "noop", "priority": 1, "priority": 2}         | 400 | Duplicate Object property "priority"
            duplicate payload key  | /api/v1/jobs       | {"type": "noop", "payload": {"a": 1, "a": 2}}          | 400 | Duplicate Object property "a"
            duplicate key in batch | /api/v1/jobs/batch | {"jobs": [{"type": "noop", "type": "sleep"}]}          | 400 | Duplicate Object property "type"
            fractional priority    | /api/v1/jobs       | {"type": "noop", "priority": 1.5}                      | 400 | priority: '1.5' is not a valid Integer
            exponent priority      | /api/v1/jobs       | {"type": "noop", "priority": 1e0}                      | 400 | priority
            attempts as a string   | /api/v1/jobs       | {"type": "noop", "maxAttempts": "5"}                   | 400 | maxAttempts: expected a Integer
            empty runAt            | /api/v1/jobs       | {"type": "noop", "runAt": ""}                          | 400 | runAt: '' is not a valid Instant
            empty delay            | /api/v1/jobs       | {"type": "noop", "delay": ""}                          | 400 | delay: '' is not a valid Duration
            runAt as a number      | /api/v1/jobs       | {"type": "noop", "runAt": 1700000000}                  | 400 | runAt: expected a Instant
            timeout as a number    | /api/v1/jobs       | {"type": "noop", "timeout": 30}                        | 400 | timeout: expected a Duration
            type as a number       | /api/v1/jobs       | {"type": 5}                                            | 400 | type: '5' is not a valid String
            key as a boolean       | /api/v1/jobs       | {"type": "noop", "idempotencyKey": true}               | 400 | idempotencyKey
            NUL in type            | /api/v1/jobs       | {"type": "no\\u0000op"}                                 | 400 | type: must not contain the NUL character
            NUL in idempotency key | /api/v1/jobs       | {"type": "noop", "idempotencyKey": "k\\u0000"}          | 400 | idempotencyKey: must not contain the NUL character
            NUL in a payload value | /api/v1/jobs       | {"type": "noop", "payload": {"note": ["ok", "a\\u0000b"]}} | 400 | payload.note[1]: must not contain the NUL character
            NUL in a payload key   | /api/v1/jobs       | {"type": "noop", "payload": {"deep": {"a\\u0000": 1}}}  | 400 | payload.deep: must not contain the NUL character
            NUL in a batch         | /api/v1/jobs/batch | {"jobs": [{"type": "noop"}, {"type": "noop", "idempotencyKey": "\\u0000"}]} | 400 | jobs[1].idempotencyKey: must not contain
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

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            bad request line         | GET /a b c HTTP/1.1\\r\\nHost: x                                 | 400 | could not be read
            control byte in the path | GET /api/v1/jobs/\\u0001 HTTP/1.1\\r\\nHost: x                   | 400 | could not be read
            encoded slash in an id   | GET /api/v1/jobs/a%2fb HTTP/1.1\\r\\nHost: x                     | 400 | could not be read
            encoded NUL in an id     | GET /api/v1/jobs/a%00b HTTP/1.1\\r\\nHost: x                     | 400 | could not be read
            encoded NUL in a cancel  | POST /api/v1/jobs/a%00b/cancel HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 0 | 400 | could not be read
            not HTTP at all          | \\u0016\\u0003\\u0001\\u0002\\u0000\\u0001                        | 400 | could not be read
            unknown HTTP version     | GET /api/v1/jobs HTTP/7.0\\r\\nHost: x                           | 505 | HTTP Version Not Supported
            undecodable after        | GET /api/v1/jobs?after=%ff%fe HTTP/1.1\\r\\nHost: x              | 400 | not valid percent-encoded UTF-8
            NUL in the after filter  | GET /api/v1/jobs?after=a%00b HTTP/1.1\\r\\nHost: x               | 400 | after: must not contain the NUL character
            NUL in the type filter   | GET /api/v1/jobs?type=no%00op HTTP/1.1\\r\\nHost: x              | 400 | type: must not contain the NUL character
            limit beyond int         | GET /api/v1/jobs?limit=99999999999 HTTP/1.1\\r\\nHost: x         | 400 | limit
            wait beyond long         | GET /api/v1/jobs/x?wait=PT9223372036854775807S HTTP/1.1\\r\\nHost: x | 400 | wait
            GET /error               | GET /error HTTP/1.1\\r\\nHost: x                                 | 404 | No endpoint GET /error
            POST /error              | POST /error HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 0          | 404 | No endpoint POST /error
            unknown path             | GET /nothing/here HTTP/1.1\\r\\nHost: x                          | 404 | nothing/here
            unknown job              | GET /api/v1/jobs/nope HTTP/1.1\\r\\nHost: x                      | 404 | Job 'nope' does not exist
            method not allowed       | DELETE /api/v1/jobs HTTP/1.1\\r\\nHost: x                        | 405 | DELETE
            only HTML accepted       | GET /api/v1/jobs HTTP/1.1\\r\\nHost: x\\r\\nAccept: text/html     | 406 | Acceptable representations
            only HTML for a submit   | POST /api/v1/jobs HTTP/1.1\\r\\nHost: x\\r\\nAccept: text/html\\r\\nContent-Type: application/json\\r\\nContent-Length: 16 | 406 | Acceptable representations
            unparsable Accept        | GET /api/v1/jobs HTTP/1.1\\r\\nHost: x\\r\\nAccept: garbage  | 400 | Accept: 'garbage' is not a valid media type
            unparsable Accept, 405   | PUT /api/v1/job-types HTTP/1.1\\r\\nHost: x\\r\\nAccept: garbage | 400 | Accept: 'garbage'
            text body                | POST /api/v1/jobs HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: text/plain\\r\\nContent-Length: 16 | 415 | text/plain
            """)
    void requestsRefusedBeforeOrOutsideTheControllersGetAProblem(String name, String head, int status, String detail) {
        long before = storedJobs();
        String request = unescape(head.strip());
        byte[] body = request.startsWith("POST") ? "{\"type\": \"noop\"}".getBytes(StandardCharsets.UTF_8) : new byte[0];

        Answer answer = raw.send(request, body);

        assertProblem(answer, status, detail);
        assertThat(storedJobs()).isEqualTo(before);
        // nothing here reaches the pool: a read shows the port still serves (the submissions above run a job)
        assertThat(api.get("/api/v1/job-types").status()).isEqualTo(200);
    }

    @Test
    void anOversizedHeaderGetsAProblem() {
        Answer answer = raw.send("GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Padding: " + "a".repeat(64 * 1024), new byte[0]);

        assertProblem(answer, 400, "could not be read");
        assertStillServing();
    }

    @Test
    void anOversizedRequestLineGetsAProblem() {
        Answer answer = raw.send("GET /api/v1/jobs?type=" + "a".repeat(64 * 1024) + " HTTP/1.1\r\nHost: x", new byte[0]);

        assertThat(answer.status()).isBetween(400, 499);
        assertThat(answer.contentType()).startsWith("application/problem+json");
        assertStillServing();
    }

    @Test
    void theManagementPortAnswersProblemsForRefusedRequestsAndUnknownPaths() {
        RawHttp management = new RawHttp(managementPort);

        assertProblem(management.send("GET /a b c HTTP/1.1\r\nHost: x", new byte[0]), 400, "could not be read");
        assertProblem(management.send("GET /actuator/a%2fb HTTP/1.1\r\nHost: x", new byte[0]), 400, "could not be read");
        assertProblem(management.send("GET /actuator/nothing HTTP/1.1\r\nHost: x", new byte[0]), 404, "nothing");
        assertProblem(management.send("DELETE /actuator/health HTTP/1.1\r\nHost: x", new byte[0]), 405, "DELETE");
        // the management port's own /error (Boot's) answers JSON, never a 5xx
        assertThat(management.send("GET /error HTTP/1.1\r\nHost: x", new byte[0]).status()).isLessThan(500);
        assertThat(management.send("GET /actuator/health/liveness HTTP/1.1\r\nHost: x", new byte[0]).status())
            .isEqualTo(200);
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
    void aClientThatSendsItsWholeBodyBeforeReadingStillReadsThe413() throws IOException {
        // far more than the socket buffers hold: a server that closed with it unread would reset the connection
        byte[] body = new byte[16 * 1024 * 1024];
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();

            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

            assertThat(answer).startsWith("HTTP/1.1 413").contains("larger than the limit");
        }
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

    /** {@code \\r}, {@code \\n} and {@code \\}{@code uXXXX} as the characters they name. */
    private static String unescape(String text) {
        return Pattern.compile("\\\\(r|n|u[0-9a-fA-F]{4})").matcher(text).replaceAll(match -> {
            String escape = match.group(1);
            char c = escape.equals("r") ? '\r' : escape.equals("n") ? '\n' : (char) Integer.parseInt(escape.substring(1), 16);
            return Matcher.quoteReplacement(String.valueOf(c));
        });
    }

    private static void assertProblem(Answer answer, int status, String detail) {
        assertThat(answer.status()).as(answer.toString()).isEqualTo(status);
        assertThat(answer.contentType()).as(answer.toString()).startsWith("application/problem+json");
        JsonNode problem = Api.parse(answer.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("title").asString()).isNotBlank();
        assertThat(problem.path("detail").asString()).contains(detail);
    }

    private long storedJobs() {
        return StoredJobs.count(jdbc);
    }

    private void assertStillServing() {
        String id = api.submit("{\"type\": \"noop\"}");
        assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
    }
}
