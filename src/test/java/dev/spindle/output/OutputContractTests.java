package dev.spindle.output;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.TestHandlers.LinesHandler;
import dev.spindle.store.JobStore;
import dev.spindle.tcp.RespServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.SafeEncoder;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A job's output and log over REST and RESP, stored in chunks of 4 KB (the subclasses' setting),
 * the same on either store: whole with its length once the job has ended, by byte range, followed
 * by a real HTTP client while the job runs, capped, and deleted with its job.
 */
abstract class OutputContractTests {

    static final String PROPERTIES_CHUNKS = "spindle.output.chunk-size=4KB";

    static final String PROPERTIES_CAP = "spindle.output.max-size=1MB";

    static final String PROPERTIES_LOG = "spindle.output.max-log-size=4KB";

    static final String PROPERTIES_FLUSH = "spindle.output.flush-interval=100ms";

    @LocalServerPort
    int port;

    @Autowired
    LinesHandler lines;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    JobStore store;

    @Autowired
    RespServer resp;

    Api api;

    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        api = new Api(port);
        lines.release = new CountDownLatch(1);
    }

    @AfterEach
    void release() {
        lines.release.countDown();
    }

    static String expectedLines(int from, int to) {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < to; i++) {
            text.append("{\"i\":").append(i).append("}\n");
        }
        return text.toString();
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    long chunks(String id) {
        return jdbc.sql("SELECT COUNT(*) FROM job_chunks WHERE job_id = ?").param(id).query(Long.class).single();
    }

    @Test
    void theOutputIsStoredInChunksAndServedWholeWithItsLength() throws Exception {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 5000}}");
        assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
        String expected = expectedLines(0, 5000);

        HttpResponse<String> whole = get("/api/v1/jobs/" + id + "/output");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/x-ndjson"));
        assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(expected.length());
        assertThat(whole.body()).isEqualTo(expected);
        assertThat(chunks(id)).as("4 KB chunks").isEqualTo((expected.length() + 4095) / 4096);
    }

    @Test
    void rangesAreServedFromTheChunksThatHoldThem() throws Exception {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 2000}}");
        api.awaitTerminal(id);
        String expected = expectedLines(0, 2000);
        int size = expected.length();

        HttpResponse<String> part = get("/api/v1/jobs/" + id + "/output", "Range", "bytes=4090-4105");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).as("across a chunk boundary").isEqualTo(expected.substring(4090, 4106));
        assertThat(part.headers().firstValue("Content-Range")).hasValue("bytes 4090-4105/" + size);
        assertThat(get("/api/v1/jobs/" + id + "/output", "Range", "bytes=10000-").body()).isEqualTo(expected.substring(10000));
        assertThat(get("/api/v1/jobs/" + id + "/output", "Range", "bytes=-25").body()).isEqualTo(expected.substring(size - 25));

        HttpResponse<String> beyond = get("/api/v1/jobs/" + id + "/output", "Range", "bytes=" + size + "-");
        assertThat(beyond.statusCode()).isEqualTo(416);
        assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */" + size);
        assertThat(beyond.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("problem+json"));
        assertThat(get("/api/v1/jobs/" + id + "/output", "Range", "bytes=5-2").statusCode()).isEqualTo(416);
        assertThat(get("/api/v1/jobs/" + id + "/output", "Range", "lines=1-2").statusCode()).as("not a byte range: ignored")
            .isEqualTo(200);
        assertThat(get("/api/v1/jobs/" + id + "/output", "Range", "bytes=0-1,5-6").body()).as("several: ignored, all of it")
            .isEqualTo(expected);
        assertThat(get("/api/v1/jobs/no-such-job/output").statusCode()).isEqualTo(404);
    }

    @Test
    void followStreamsChunksAsTheJobWritesThemAndEndsWithIt() throws Exception {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 200, \"holdAfter\": 100}}");
        HttpResponse<InputStream> followed = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/" + id + "/output?follow=true"))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(followed.statusCode()).isEqualTo(200);
        assertThat(followed.headers().firstValue("Content-Length")).isEmpty();
        List<String> read = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(followed.body(), StandardCharsets.UTF_8))) {
            for (int i = 0; i < 100; i++) {
                read.add(reader.readLine());
            }
            // the first hundred lines arrived while the job is still running, held
            assertThat(api.get("/api/v1/jobs/" + id).state()).isEqualTo("RUNNING");
            Instant released = Instant.now();
            lines.release.countDown();
            String line;
            while ((line = reader.readLine()) != null) {
                read.add(line);
            }
            System.out.printf("followed output: the rest arrived and the response ended %d ms after the release%n",
                    Duration.between(released, Instant.now()).toMillis());
        }
        assertThat(String.join("\n", read) + "\n").isEqualTo(expectedLines(0, 200));
        assertThat(api.get("/api/v1/jobs/" + id).state()).isEqualTo("SUCCEEDED");
    }

    @Test
    void aRetriedJobServesItsLastAttemptAndAFollowSpansItsAttempts() throws Exception {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 5, \"failFirst\": true, \"holdAfter\": 0}}");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> api.get("/api/v1/jobs/" + id).state().equals("RUNNING"));
        // the follow begins inside the first attempt (held), and lasts through the second
        HttpResponse<InputStream> followed = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/" + id + "/output?follow=true"))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        lines.release.countDown();
        try (InputStream body = followed.body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8))
                .as(() -> "chunks: " + jdbc.sql("SELECT fencing_token, stream, seq, start_offset FROM job_chunks WHERE job_id = ?")
                    .param(id).query().listOfRows() + "; job " + api.get("/api/v1/jobs/" + id).body())
                .isEqualTo("{\"failed\":1}\n" + expectedLines(0, 5));
        }
        JsonNode job = api.awaitTerminal(id);
        assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.path("attempt").asInt()).isEqualTo(2);
        assertThat(get("/api/v1/jobs/" + id + "/output").body()).as("the last attempt's").isEqualTo(expectedLines(0, 5));
    }

    @Test
    void aJobThatWritesPastTheCapFailsWithAClearErrorAndKeepsWhatCameBefore() throws Exception {
        String id = api.submit("{\"type\": \"spew\", \"payload\": {\"mb\": 3}}");
        JsonNode job = api.awaitTerminal(id);
        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("error").path("code").asString()).isEqualTo("output_too_large");
        assertThat(job.path("error").path("message").asString()).contains("spindle.output.max-size");
        HttpResponse<byte[]> kept = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/"
                + id + "/output")).header("Range", "bytes=1048570-").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(kept.headers().firstValue("Content-Range")).hasValue("bytes 1048570-1048575/" + (1 << 20));
        // byte i of spew is i % 251: the kept bytes are the first megabyte, in order
        byte[] tail = kept.body();
        assertThat(tail).hasSize(6);
        for (int i = 0; i < tail.length; i++) {
            assertThat(tail[i] & 0xff).isEqualTo((1048570 + i) % 251);
        }
        assertThat(api.get("/api/v1/jobs/" + api.submit("{\"type\": \"noop\"}")).status()).isEqualTo(200);
    }

    @Test
    void whatTheJobLogsIsKeptBoundedAtItsLog() throws Exception {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 2000, \"logEvery\": 10}}");
        api.awaitTerminal(id);
        HttpResponse<String> log = get("/api/v1/jobs/" + id + "/log");
        assertThat(log.statusCode()).isEqualTo(200);
        assertThat(log.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        List<String> logged = log.body().lines().toList();
        assertThat(logged.getFirst()).contains("INFO").contains("dev.spindle.test.LinesJob").endsWith("wrote line 0");
        assertThat(log.body().length()).as("kept within 4 KB, and the note").isLessThanOrEqualTo(4096 + JobStreams.NOTE_ROOM);
        assertThat(logged.getLast()).matches("\\[\\d+ more log lines were not kept: spindle.output.max-log-size is 4096B]");
        // another job's lines are not in it
        String other = api.submit("{\"type\": \"log\", \"payload\": {\"who\": \"other\"}}");
        api.awaitTerminal(other);
        assertThat(get("/api/v1/jobs/" + other + "/log").body()).contains("working on").doesNotContain("wrote line");
        assertThat(log.body()).doesNotContain("working on");
    }

    @Test
    void redisClientsReadOutputAndLog() throws Exception {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 10, \"logEvery\": 5}}");
        api.awaitTerminal(id);
        try (Jedis jedis = new Jedis("127.0.0.1", resp.port(), 30_000)) {
            byte[] head = (byte[]) jedis.sendCommand(() -> SafeEncoder.encode("OUTPUT"), id, "0", "16");
            assertThat(new String(head, StandardCharsets.UTF_8)).isEqualTo(expectedLines(0, 10).substring(0, 16));
            byte[] rest = (byte[]) jedis.sendCommand(() -> SafeEncoder.encode("OUTPUT"), id, "16", "1000");
            assertThat(new String(rest, StandardCharsets.UTF_8)).isEqualTo(expectedLines(0, 10).substring(16));
            byte[] log = (byte[]) jedis.sendCommand(() -> SafeEncoder.encode("LOG"), id, "0", "10000");
            assertThat(new String(log, StandardCharsets.UTF_8)).contains("wrote line 5");
            assertThat(jedis.sendCommand(() -> SafeEncoder.encode("OUTPUT"), "no-such-job", "0", "10")).isNull();
            assertThat(catchThrowable(() -> jedis.sendCommand(() -> SafeEncoder.encode("OUTPUT"), id, "-1", "10")))
                .hasMessageContaining("offset must be");
            assertThat(jedis.ping()).isEqualTo("PONG");
        }
    }

    @Test
    void theOutputGoesWithItsJobAtRetention() {
        String id = api.submit("{\"type\": \"lines\", \"payload\": {\"count\": 3000, \"logEvery\": 100}}");
        api.awaitTerminal(id);
        assertThat(chunks(id)).isGreaterThan(1);
        // what the pruner runs, with a cutoff every finished job is before
        while (store.deleteFinishedBefore(Instant.now().plus(Duration.ofDays(1)), 1000) > 0) {
            // deletes in batches
        }
        assertThat(api.get("/api/v1/jobs/" + id).status()).isEqualTo(404);
        assertThat(chunks(id)).isZero();
        Response gone = api.get("/api/v1/jobs/" + id + "/output");
        assertThat(gone.status()).isEqualTo(404);
    }
}
