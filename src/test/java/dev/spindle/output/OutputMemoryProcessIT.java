package dev.spindle.output;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import dev.spindle.SpindleProcess;
import dev.spindle.TestApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 200 MB of output from one job, written and streamed (followed while it is written, then whole)
 * by a Spindle whose heap is 128 MB: the output is never held in memory, on either side.
 */
class OutputMemoryProcessIT {

    static final int MEGABYTES = 200;

    @TempDir
    Path workDir;

    @Test
    void twoHundredMegabytesOfOutputThroughA128MegabyteHeap() throws Exception {
        try (SpindleProcess node = SpindleProcess.startMain(TestApplication.class, "output-heap", workDir,
                List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError"),
                List.of("spring.datasource.url=jdbc:sqlite:" + workDir.resolve("spindle.db"),
                        "spindle.output.max-size=256MB", "spindle.store.sqlite.synchronous=NORMAL"))) {
            await().atMost(Duration.ofMinutes(1)).until(node::ready);
            String expected = expectedDigest();
            String id = node.api().submit("{\"type\": \"spew\", \"payload\": {\"mb\": " + MEGABYTES + "}, \"timeout\": \"PT5M\"}");
            HttpClient http = HttpClient.newHttpClient();

            long started = System.nanoTime();
            Read followed = read(http, node.port, id, "?follow=true");
            long followedMs = (System.nanoTime() - started) / 1_000_000;
            JsonNode job = node.api().awaitTerminal(id);
            assertThat(job.path("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            assertThat(followed.bytes()).isEqualTo((long) MEGABYTES << 20);
            assertThat(followed.sha256()).isEqualTo(expected);

            Read whole = read(http, node.port, id, "");
            assertThat(whole.contentLength()).isEqualTo((long) MEGABYTES << 20);
            assertThat(whole.sha256()).isEqualTo(expected);

            // -Xmx128m and -XX:+ExitOnOutOfMemoryError: had either side held the output, the node would be gone
            assertThat(node.alive()).isTrue();
            JsonNode heapUsed = node.management().get("/actuator/metrics/jvm.memory.used?tag=area:heap").body();
            System.out.printf("%d MB of output written and followed in %d ms, read again whole, through a 128 MB heap "
                    + "(%.0f MB used now)%n", MEGABYTES, followedMs,
                    heapUsed.path("measurements").get(0).path("value").asDouble() / (1 << 20));
        }
    }

    record Read(long bytes, long contentLength, String sha256) {
    }

    private static Read read(HttpClient http, int port, String id, String query) throws Exception {
        HttpResponse<InputStream> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/" + id + "/output" + query))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long total = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream body = response.body()) {
            int n;
            while ((n = body.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                total += n;
            }
        }
        return new Read(total, response.headers().firstValueAsLong("Content-Length").orElse(-1),
                HexFormat.of().formatHex(digest.digest()));
    }

    /** What the {@code spew} job writes: byte i is i % 251. */
    private static String expectedDigest() throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] block = new byte[64 * 1024];
        long total = (long) MEGABYTES << 20;
        for (long written = 0; written < total; written += block.length) {
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) ((written + i) % 251);
            }
            digest.update(block);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
