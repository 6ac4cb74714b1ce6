package dev.spindle.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-client intake limits over real HTTP: 5 writes per hour per principal, so that a window never
 * turns over during a test. Every test uses its own API keys: the limiter counts the principal a
 * key authenticates as, after authentication.
 */
@SpindleTest
@TestPropertySource(properties = {
        "resilience4j.ratelimiter.configs.intake.limit-for-period=5",
        "resilience4j.ratelimiter.configs.intake.limit-refresh-period=1h",
        "spindle.security.auth-failures.limit=1000",
        "spindle.security.api-keys.a.key=" + IntakeLimitTests.A, "spindle.security.api-keys.a.roles=submit",
        "spindle.security.api-keys.b.key=" + IntakeLimitTests.B, "spindle.security.api-keys.b.roles=submit",
        "spindle.security.api-keys.c.key=" + IntakeLimitTests.C, "spindle.security.api-keys.c.roles=submit",
        "spindle.security.api-keys.d.key=" + IntakeLimitTests.D, "spindle.security.api-keys.d.roles=submit",
        "spindle.security.api-keys.e.key=" + IntakeLimitTests.E, "spindle.security.api-keys.e.roles=submit, read" })
class IntakeLimitTests {

    static final String A = "key-a-0123456789abcdef";

    static final String B = "key-b-0123456789abcdef";

    static final String C = "key-c-0123456789abcdef";

    static final String D = "key-d-0123456789abcdef";

    static final String E = "key-e-0123456789abcdef";

    private static final String JOB = "{\"type\": \"noop\"}";

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
    }

    @Test
    void burstFromOneClientGets429WithRetryAfterWhileAnotherClientIsServed() {
        for (int i = 1; i <= 5; i++) {
            Response accepted = submit(A);
            assertThat(accepted.status()).isEqualTo(202);
            assertThat(accepted.body().path("submittedBy").asString()).isEqualTo("a");
            assertThat(accepted.header("RateLimit-Limit")).isEqualTo("5");
            assertThat(accepted.header("RateLimit-Remaining")).isEqualTo(Integer.toString(5 - i));
            assertThat(Long.parseLong(accepted.header("RateLimit-Reset"))).isBetween(1L, 3600L);
        }
        long stored = storedJobs();

        Response refused = submit(A);
        // the same principal by the other header is the same client
        Response refusedBatch = api.postWithHeaders("/api/v1/jobs/batch", "{\"jobs\": [" + JOB + ", " + JOB + "]}",
                "Authorization", "Bearer " + A);

        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.header("Content-Type")).startsWith("application/problem+json");
        assertThat(refused.body().path("title").asString()).isEqualTo("Too Many Requests");
        assertThat(refused.body().path("detail").asString()).contains("5 requests per PT1H");
        long retryAfter = Long.parseLong(refused.header("Retry-After"));
        assertThat(retryAfter).isBetween(1L, 3600L);
        assertThat(refused.header("RateLimit-Limit")).isEqualTo("5");
        assertThat(refused.header("RateLimit-Remaining")).isEqualTo("0");
        assertThat(Long.parseLong(refused.header("RateLimit-Reset"))).isBetween(1L, retryAfter);
        assertThat(refusedBatch.status()).isEqualTo(429);
        assertThat(storedJobs()).isEqualTo(stored);

        Response other = submit(B);
        assertThat(other.status()).isEqualTo(202);
        assertThat(other.header("RateLimit-Remaining")).isEqualTo("4");
        assertThat(storedJobs()).isEqualTo(stored + 1);
    }

    @Test
    void aFloodWithoutValidCredentialsSpendsNoClientsBudget() {
        long stored = storedJobs();
        for (int i = 0; i < 20; i++) {
            // a wrong key, a key's name, no key: each refused before the limiter, which counts nobody for them
            assertThat(submit(C + "-wrong").status()).isEqualTo(401);
            assertThat(submit("c").status()).isEqualTo(401);
            assertThat(api.post("/api/v1/jobs", JOB).status()).isEqualTo(401);
        }
        assertThat(storedJobs()).isEqualTo(stored);

        for (int i = 1; i <= 5; i++) {
            Response accepted = submit(C);
            assertThat(accepted.status()).isEqualTo(202);
            assertThat(accepted.header("RateLimit-Remaining")).isEqualTo(Integer.toString(5 - i));
        }
        assertThat(submit(C).status()).isEqualTo(429);
        // reads are not limited and carry no RateLimit fields
        Response read = api.getWithHeaders("/api/v1/job-types", "X-API-Key", E);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.header("RateLimit-Limit")).isNull();
    }

    @Test
    void refusedClientIsAnsweredBeforeItsBodyIsRead() {
        String key = D;
        for (int i = 0; i < 5; i++) {
            submit(key);
        }
        long stored = storedJobs();

        Response refused = api.postWithHeaders("/api/v1/jobs",
                "{\"type\": \"noop\", \"payload\": {\"blob\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}}",
                "X-API-Key", key);

        // 429, not the 413 that reading this body would give
        assertThat(refused.status()).isEqualTo(429);
        assertThat(storedJobs()).isEqualTo(stored);
    }

    @Test
    void credentialsOverTheServerHeaderLimitAreRefusedAndTheServiceKeepsServing() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs"))
            .header("Content-Type", "application/json")
            .header("X-API-Key", "k".repeat(1024 * 1024))
            .POST(BodyPublishers.ofString(JOB))
            .build();

        int status;
        try (HttpClient http = HttpClient.newHttpClient()) {
            status = http.send(request, BodyHandlers.discarding()).statusCode();
        }

        // the server's header limit (server.max-http-request-header-size, 8 KB) answers before Spindle sees it
        assertThat(status).isEqualTo(400);
        assertThat(submit(E).status()).isEqualTo(202);
    }

    private Response submit(String key) {
        return api.postWithHeaders("/api/v1/jobs", JOB, "X-API-Key", key);
    }

    private long storedJobs() {
        return StoredJobs.count(jdbc);
    }
}
