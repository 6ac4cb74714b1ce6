package dev.spindle.downstream;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.spindle.Api;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.StateTransition;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code http} jobs against WireMock, a real HTTP server on loopback: headers, failures, and each
 * guard (breaker, bulkhead, rate limiter, timeouts) seen from the stub's side.
 */
@SpindleTest
class HttpJobTests {

    static final InFlight inFlight = new InFlight();

    static final WireMockServer stub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .containerThreads(40).extensions(inFlight));

    static {
        stub.start();
    }

    @DynamicPropertySource
    static void downstreams(DynamicPropertyRegistry registry) throws IOException {
        String base = "http://127.0.0.1:" + stub.port();
        registry.add("spindle.downstreams.orders.base-url", () -> base + "/api");
        registry.add("spindle.downstreams.orders.headers.Authorization", () -> "Bearer orders-token");
        registry.add("spindle.downstreams.flaky.base-url", () -> base + "/flaky");
        registry.add("spindle.downstreams.slow.base-url", () -> base + "/slow");
        registry.add("spindle.downstreams.slow.response-timeout", () -> "1s");
        registry.add("spindle.downstreams.limited.base-url", () -> base + "/limited");
        registry.add("spindle.downstreams.faulty.base-url", () -> base + "/faulty");
        registry.add("spindle.downstreams.nowhere.base-url", () -> "http://no-such-host.invalid");
        try (ServerSocket socket = new ServerSocket(0)) {
            int closed = socket.getLocalPort();
            registry.add("spindle.downstreams.refusing.base-url", () -> "http://127.0.0.1:" + closed);
        }
        // flaky: opens after 4 calls of which half fail, probes once after 2 s; no in-call retry
        registry.add("resilience4j.circuitbreaker.instances.flaky.sliding-window-size", () -> "4");
        registry.add("resilience4j.circuitbreaker.instances.flaky.minimum-number-of-calls", () -> "4");
        registry.add("resilience4j.circuitbreaker.instances.flaky.wait-duration-in-open-state", () -> "2s");
        registry.add("resilience4j.circuitbreaker.instances.flaky.permitted-number-of-calls-in-half-open-state", () -> "1");
        registry.add("resilience4j.retry.instances.flaky.max-attempts", () -> "1");
        // slow: three calls at once, no waiting for a place
        registry.add("resilience4j.bulkhead.instances.slow.max-concurrent-calls", () -> "3");
        registry.add("resilience4j.bulkhead.instances.slow.max-wait-duration", () -> "0");
        registry.add("resilience4j.retry.instances.slow.max-attempts", () -> "1");
        // limited: two calls per 500 ms, waiting for a permit
        registry.add("resilience4j.ratelimiter.instances.limited.limit-for-period", () -> "2");
        registry.add("resilience4j.ratelimiter.instances.limited.limit-refresh-period", () -> "500ms");
        registry.add("resilience4j.ratelimiter.instances.limited.timeout-duration", () -> "10s");
        // strict: one call per hour, no waiting for a permit
        registry.add("spindle.downstreams.strict.base-url", () -> base + "/strict");
        registry.add("resilience4j.ratelimiter.instances.strict.limit-for-period", () -> "1");
        registry.add("resilience4j.ratelimiter.instances.strict.limit-refresh-period", () -> "1h");
        registry.add("resilience4j.ratelimiter.instances.strict.timeout-duration", () -> "0");
    }

    @AfterAll
    static void stopStub() {
        stub.stop();
    }

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    @Autowired
    CircuitBreakerRegistry breakers;

    @Autowired
    BulkheadRegistry bulkheads;

    @Autowired
    JdbcClient jdbc;

    Api api;

    @BeforeEach
    void setUp() {
        api = new Api(port);
    }

    @Test
    void callsTheDownstreamWithItsHeadersAndKeepsTheResponse() {
        stub.stubFor(post(urlPathEqualTo("/api/orders/42/confirm"))
            .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json")
                .withBody("{\"confirmed\": true}")));

        String id = api.submit("""
                {"type": "http", "idempotencyKey": "order-42-confirm",
                 "payload": {"downstream": "orders", "method": "POST", "path": "/orders/42/confirm",
                             "query": {"notify": true, "tag": ["a", "b c"]}, "headers": {"X-Tenant": "7"},
                             "body": {"by": "ops"}}}""");
        JsonNode job = api.awaitTerminal(id);

        assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.path("result").path("status").asInt()).isEqualTo(201);
        assertThat(job.path("result").path("body").path("confirmed").asBoolean()).isTrue();
        stub.verify(1, postRequestedFor(urlEqualTo("/api/orders/42/confirm?notify=true&tag=a&tag=b%20c"))
            .withHeader("Idempotency-Key", equalTo("order-42-confirm"))
            .withHeader("Spindle-Job-Id", equalTo(id))
            .withHeader("Spindle-Attempt", equalTo("1"))
            .withHeader("Spindle-Fencing-Token", equalTo(Long.toString(job.path("fencingToken").asLong())))
            .withHeader("Authorization", equalTo("Bearer orders-token"))
            .withHeader("X-Tenant", equalTo("7"))
            .withHeader("Content-Type", containing("application/json"))
            .withRequestBody(equalToJson("{\"by\": \"ops\"}")));
    }

    @Test
    void withoutAnIdempotencyKeyTheJobIdIsTheKey() {
        stub.stubFor(get(urlPathEqualTo("/api/ping")).willReturn(aResponse().withStatus(204)));

        String id = api.submit("""
                {"type": "http", "payload": {"downstream": "orders", "method": "get", "path": "/ping"}}""");

        assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
        stub.verify(getRequestedFor(urlEqualTo("/api/ping")).withHeader("Idempotency-Key", equalTo(id)));
    }

    @Test
    void aClientErrorFailsAtOnceAndAnUnexpectedStatusSaysWhatWasExpected() {
        stub.stubFor(get(urlPathEqualTo("/api/missing")).willReturn(aResponse().withStatus(404).withBody("no such order")));
        stub.stubFor(get(urlPathEqualTo("/api/accepted")).willReturn(aResponse().withStatus(202)));

        JsonNode missing = api.awaitTerminal(api.submit("""
                {"type": "http", "maxAttempts": 3, "payload": {"downstream": "orders", "method": "GET", "path": "/missing"}}"""));
        JsonNode accepted = api.awaitTerminal(api.submit("""
                {"type": "http", "maxAttempts": 1,
                 "payload": {"downstream": "orders", "method": "GET", "path": "/accepted", "expectStatus": [200, 201]}}"""));

        assertThat(missing.path("state").asString()).isEqualTo("FAILED");
        assertThat(missing.path("attempt").asInt()).as("a 404 is not retried").isEqualTo(1);
        assertThat(missing.path("error").path("code").asString()).isEqualTo("downstream_status");
        assertThat(missing.path("error").path("message").asString()).contains("404", "no such order");
        assertThat(accepted.path("state").asString()).isEqualTo("FAILED");
        assertThat(accepted.path("error").path("message").asString()).contains("202", "expected [200, 201]");
    }

    @Test
    void serverErrorsOpenTheBreakerWhoseQueuedJobsWaitForTheProbeWithoutLosingAttempts() {
        CircuitBreaker breaker = breakers.circuitBreaker("flaky");
        List<StateTransition> transitions = new CopyOnWriteArrayList<>();
        breaker.getEventPublisher().onStateTransition(event -> transitions.add(event.getStateTransition()));
        stub.stubFor(any(urlPathMatching("/flaky/.*")).willReturn(aResponse().withStatus(503).withBody("down")));

        // a 5xx storm: four failed calls open the breaker
        List<String> storm = IntStream.range(0, 4).mapToObj(i -> api.submit("""
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "flaky", "method": "POST", "path": "/pay"}}"""))
            .toList();
        storm.forEach(id -> assertThat(api.awaitTerminal(id).path("error").path("code").asString()).isEqualTo("downstream_status"));
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        int callsWhileClosed = stub.findAll(postRequestedFor(urlPathMatching("/flaky/.*"))).size();

        // jobs submitted now are deferred, not failed: QUEUED, no attempt used, the guard named
        List<String> deferred = IntStream.range(0, 5).mapToObj(i -> api.submit("""
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "flaky", "method": "POST", "path": "/pay"}}"""))
            .toList();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> deferred.forEach(id -> {
            JsonNode job = api.get("/api/v1/jobs/" + id).body();
            assertThat(job.path("state").asString()).isEqualTo("QUEUED");
            assertThat(job.path("attempt").asInt()).isZero();
            assertThat(job.path("error").path("code").asString()).isEqualTo("circuit_open");
        }));
        assertThat(stub.findAll(postRequestedFor(urlPathMatching("/flaky/.*")))).as("no call while open")
            .hasSize(callsWhileClosed);
        // the management port stays live: a broken downstream must not get the pod restarted
        assertThat(new Api(managementPort).get("/actuator/health/liveness").status()).isEqualTo(200);
        assertThat(new Api(managementPort).get("/actuator/circuitbreakers").body().path("circuitBreakers")
            .path("flaky").path("state").asString()).isEqualTo("OPEN");

        // the downstream recovers: the probe closes the breaker, and the deferred jobs run on their first attempt
        stub.stubFor(any(urlPathMatching("/flaky/.*")).willReturn(aResponse().withStatus(200)));
        deferred.forEach(id -> {
            JsonNode job = api.awaitTerminal(id);
            assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(job.path("attempt").asInt()).isEqualTo(1);
        });
        assertThat(transitions).containsSubsequence(StateTransition.CLOSED_TO_OPEN, StateTransition.OPEN_TO_HALF_OPEN,
                StateTransition.HALF_OPEN_TO_CLOSED);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void theBulkheadBoundsCallsInFlightAndDefersTheRest() {
        List<String> rejected = new CopyOnWriteArrayList<>();
        bulkheads.bulkhead("slow").getEventPublisher().onCallRejected(event -> rejected.add(event.getBulkheadName()));
        stub.stubFor(get(urlPathEqualTo("/slow/report")).willReturn(aResponse().withStatus(200).withFixedDelay(300)));
        inFlight.reset("/slow/report");

        List<String> ids = IntStream.range(0, 12).mapToObj(i -> api.submit("""
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "slow", "method": "GET", "path": "/report"}}"""))
            .toList();

        ids.forEach(id -> {
            JsonNode job = api.awaitTerminal(id);
            assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(job.path("attempt").asInt()).as("bulkhead refusals use no attempt").isEqualTo(1);
        });
        assertThat(inFlight.max()).as("calls in flight at the stub").isEqualTo(3);
        assertThat(stub.findAll(getRequestedFor(urlPathEqualTo("/slow/report")))).hasSize(12);
        assertThat(rejected).isNotEmpty();
    }

    @Test
    void aSlowResponseTimesOutTheCall() {
        stub.stubFor(get(urlPathEqualTo("/slow/hang")).willReturn(aResponse().withStatus(200).withFixedDelay(3000)));

        JsonNode job = api.awaitTerminal(api.submit("""
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "slow", "method": "GET", "path": "/hang"}}"""));

        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("error").path("code").asString()).isEqualTo("downstream_timeout");
    }

    @Test
    void theJobTimeoutEndsACallThatWouldWaitLonger() {
        stub.stubFor(get(urlPathEqualTo("/api/hang")).willReturn(aResponse().withStatus(200).withFixedDelay(5000)));
        long started = System.nanoTime();

        JsonNode job = api.awaitTerminal(api.submit("""
                {"type": "http", "maxAttempts": 1, "timeout": "PT0.5S",
                 "payload": {"downstream": "orders", "method": "GET", "path": "/hang"}}"""));

        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("error").path("code").asString()).isIn("timeout", "downstream_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            connection reset | faulty   | downstream_io
            refused          | refusing | downstream_unreachable
            unknown host     | nowhere  | downstream_unreachable""")
    void transportFailuresAreJobErrorsNotCrashes(String fault, String downstream, String code) {
        stub.stubFor(get(urlPathEqualTo("/faulty/reset")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        JsonNode job = api.awaitTerminal(api.submit("""
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "%s", "method": "GET", "path": "/reset"}}"""
            .formatted(downstream)));

        assertThat(job.path("state").asString()).isEqualTo("FAILED");
        assertThat(job.path("error").path("code").asString()).isEqualTo(code);
        assertThat(api.awaitTerminal(api.submit("{\"type\": \"noop\"}")).path("state").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    void theRateLimiterSpacesCallsAtTheStub() {
        stub.stubFor(post(urlPathEqualTo("/limited/send")).willReturn(aResponse().withStatus(200)));

        List<String> ids = IntStream.range(0, 10).mapToObj(i -> api.submit("""
                {"type": "http", "payload": {"downstream": "limited", "method": "POST", "path": "/send"}}"""))
            .toList();
        ids.forEach(id -> assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED"));

        List<Long> arrivals = new ArrayList<>(stub.findAll(postRequestedFor(urlPathEqualTo("/limited/send"))).stream()
            .map(request -> request.getLoggedDate().getTime())
            .sorted(Comparator.naturalOrder())
            .toList());
        assertThat(arrivals).hasSize(10);
        // two permits per 500 ms: any five consecutive calls span three periods, so more than one period
        for (int i = 0; i + 4 < arrivals.size(); i++) {
            assertThat(arrivals.get(i + 4) - arrivals.get(i)).as("calls %d to %d", i, i + 4).isGreaterThanOrEqualTo(450);
        }
    }

    @Test
    void aCallWithoutAPermitIsDeferredToTheLimitersNextPeriod() {
        stub.stubFor(post(urlPathEqualTo("/strict/send")).willReturn(aResponse().withStatus(200)));
        String first = api.submit("""
                {"type": "http", "payload": {"downstream": "strict", "method": "POST", "path": "/send"}}""");
        assertThat(api.awaitTerminal(first).path("state").asString()).isEqualTo("SUCCEEDED");

        String second = api.submit("""
                {"type": "http", "payload": {"downstream": "strict", "method": "POST", "path": "/send"}}""");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode job = api.get("/api/v1/jobs/" + second).body();
            assertThat(job.path("state").asString()).isEqualTo("QUEUED");
            assertThat(job.path("error").path("code").asString()).isEqualTo("rate_limited");
            assertThat(job.path("attempt").asInt()).isZero();
            assertThat(java.time.Instant.parse(job.path("runAt").asString()))
                .isAfter(java.time.Instant.now().plus(Duration.ofMinutes(50)));
        });
        assertThat(stub.findAll(postRequestedFor(urlPathEqualTo("/strict/send")))).hasSize(1);
        assertThat(api.post("/api/v1/jobs/" + second + "/cancel", "").status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            absolute URL          | {"downstream": "orders", "method": "GET", "path": "http://evil.example/x"}     | payload.path
            scheme-relative URL   | {"downstream": "orders", "method": "GET", "path": "//evil.example/x"}         | payload.path
            dot-dot segment       | {"downstream": "orders", "method": "GET", "path": "/orders/../../admin"}      | '..'
            encoded dot-dot       | {"downstream": "orders", "method": "GET", "path": "/orders/%2e%2E/admin"}     | '..'
            encoded slash         | {"downstream": "orders", "method": "GET", "path": "/orders%2f..%2fadmin"}     | encoded slashes
            backslash             | {"downstream": "orders", "method": "GET", "path": "/orders\\\\..\\\\admin"}   | payload.path
            query in path         | {"downstream": "orders", "method": "GET", "path": "/orders?admin=1"}          | payload.path
            at-sign authority     | {"downstream": "orders", "method": "GET", "path": "@evil.example/x"}          | payload.path
            unknown downstream    | {"downstream": "evil", "method": "GET", "path": "/x"}                         | not a configured downstream
            host header           | {"downstream": "orders", "method": "GET", "path": "/x", "headers": {"Host": "evil.example"}} | Host may not be set
            forwarded header      | {"downstream": "orders", "method": "GET", "path": "/x", "headers": {"X-Forwarded-Host": "evil.example"}} | may not be set
            header with CRLF      | {"downstream": "orders", "method": "GET", "path": "/x", "headers": {"X-A": "1\\r\\nHost: evil"}} | control characters
            bad header name       | {"downstream": "orders", "method": "GET", "path": "/x", "headers": {"X A": "1"}} | not a valid header name
            unknown method        | {"downstream": "orders", "method": "TRACE", "path": "/x"}                     | payload.method
            body with GET         | {"downstream": "orders", "method": "GET", "path": "/x", "body": {}}           | not allowed with GET
            unknown field         | {"downstream": "orders", "method": "GET", "path": "/x", "url": "http://evil"} | payload.url
            bad expectStatus      | {"downstream": "orders", "method": "GET", "path": "/x", "expectStatus": 99}   | expectStatus
            missing path          | {"downstream": "orders", "method": "GET"}                                     | payload.path""")
    void badPayloadsAreRefusedAtSubmitAndNothingIsStored(String name, String payload, String message) {
        long before = jobCount();

        Api.Response response = api.post("/api/v1/jobs", "{\"type\": \"http\", \"payload\": " + payload + "}");

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.body().toString()).contains(message);
        assertThat(jobCount()).isEqualTo(before);
        assertThat(stub.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(urlPathMatching(".*evil.*")))).isEmpty();
    }

    @Test
    void actuatorShowsTheGuardsAndPrometheusTheConnectionPools() {
        stub.stubFor(get(urlPathEqualTo("/api/ping")).willReturn(aResponse().withStatus(204)));
        api.awaitTerminal(api.submit("""
                {"type": "http", "payload": {"downstream": "orders", "method": "GET", "path": "/ping"}}"""));
        Api management = new Api(managementPort);

        for (String endpoint : List.of("circuitbreakers", "bulkheads", "ratelimiters", "retries")) {
            assertThat(management.get("/actuator/" + endpoint).raw().body()).as(endpoint).contains("orders", "flaky");
        }
        String prometheus = management.get("/actuator/prometheus").raw().body();
        assertThat(prometheus).contains("httpcomponents_httpclient_pool_total_max{httpclient=\"orders\"} 50.0")
            .contains("httpcomponents_httpclient_pool_total_connections{httpclient=\"orders\",state=\"leased\"}")
            .contains("httpcomponents_httpclient_pool_total_pending{httpclient=\"orders\"}")
            .contains("resilience4j_circuitbreaker_state{name=\"orders\",state=\"closed\"} 1.0");
    }

    private long jobCount() {
        return StoredJobs.count(jdbc);
    }

    /** Counts requests the stub is serving at once, from arrival until the response is sent. */
    static final class InFlight implements com.github.tomakehurst.wiremock.extension.ServeEventListener {

        private volatile String path = "";

        private final java.util.concurrent.atomic.AtomicInteger now = new java.util.concurrent.atomic.AtomicInteger();

        private final java.util.concurrent.atomic.AtomicInteger max = new java.util.concurrent.atomic.AtomicInteger();

        void reset(String path) {
            this.path = path;
            now.set(0);
            max.set(0);
        }

        int max() {
            return max.get();
        }

        @Override
        public void beforeMatch(ServeEvent event, com.github.tomakehurst.wiremock.extension.Parameters parameters) {
            if (event.getRequest().getUrl().startsWith(path) && !path.isEmpty()) {
                max.accumulateAndGet(now.incrementAndGet(), Math::max);
            }
        }

        @Override
        public void afterComplete(ServeEvent event, com.github.tomakehurst.wiremock.extension.Parameters parameters) {
            if (event.getRequest().getUrl().startsWith(path) && !path.isEmpty()) {
                now.decrementAndGet();
            }
        }

        @Override
        public String getName() {
            return "in-flight";
        }
    }
}
