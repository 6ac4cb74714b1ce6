package dev.spindle.security;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.RespClient;
import dev.spindle.SpindleTest;
import dev.spindle.tcp.RespServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The secret grep: an API key and a downstream's Authorization header are planted in the
 * configuration and really used (a key authenticates REST and RESP; WireMock sees the header), then
 * everything Spindle says anywhere — job JSON, lists, output and log streams, RESP replies, problem
 * bodies, every Actuator endpoint it exposes, every metric, and its own log output — is searched for
 * them, and for the key's SHA-256 (the form Spindle keeps it in).
 */
@SpindleTest
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = {
        "spindle.security.api-keys.admin.key=" + SecretsTests.KEY, "spindle.security.api-keys.admin.roles=admin",
        "resilience4j.retry.instances.planted.max-attempts=1", "resilience4j.retry.instances.closed.max-attempts=1" })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsTests {

    static final String KEY = "PLANTED-1-c0ffee0123456789abcdef";

    static final String HEADER_SECRET = "PLANTED-2-deadbeef0123456789abcdef";

    static final WireMockServer stub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    static {
        stub.start();
    }

    @DynamicPropertySource
    static void downstreams(DynamicPropertyRegistry registry) throws IOException {
        registry.add("spindle.downstreams.planted.base-url", () -> "http://127.0.0.1:" + stub.port() + "/planted");
        registry.add("spindle.downstreams.planted.headers.Authorization", () -> "Bearer " + HEADER_SECRET);
        registry.add("spindle.downstreams.planted.response-timeout", () -> "1s");
        try (ServerSocket socket = new ServerSocket(0)) {
            int closed = socket.getLocalPort();
            registry.add("spindle.downstreams.closed.base-url", () -> "http://127.0.0.1:" + closed);
        }
        registry.add("spindle.downstreams.closed.headers.Authorization", () -> "Bearer " + HEADER_SECRET);
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
    RespServer resp;

    @Test
    @Order(1)
    void noPlantedSecretAppearsInAnythingSpindleSays(CapturedOutput output) throws IOException {
        Api api = new Api(port);
        Api actuator = new Api(managementPort);
        // every request the stub gets matches a stub: WireMock prints unmatched requests, headers and all
        stub.stubFor(any(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(404)));
        stub.stubFor(post(urlPathEqualTo("/planted/ok")).willReturn(aResponse().withStatus(200)
            .withHeader("Content-Type", "application/json").withBody("{\"ok\": true}")));
        stub.stubFor(post(urlPathEqualTo("/planted/fail")).willReturn(aResponse().withStatus(500)
            .withHeader("Content-Type", "text/plain").withBody("upstream exploded")));
        stub.stubFor(get(urlPathEqualTo("/planted/slow")).willReturn(aResponse().withStatus(200).withFixedDelay(3000)));
        Map<String, String> said = new LinkedHashMap<>();

        String ok = submit(api, """
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "planted", "method": "POST", "path": "/ok",
                 "headers": {"X-Tenant": "7"}, "body": {"n": 1}}}""");
        String failed = submit(api, """
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "planted", "method": "POST", "path": "/fail"}}""");
        String timedOut = submit(api, """
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "planted", "method": "GET", "path": "/slow"}}""");
        String refused = submit(api, """
                {"type": "http", "maxAttempts": 1, "payload": {"downstream": "closed", "method": "GET", "path": "/x"}}""");
        Map<String, String> outcomes = Map.of(ok, "SUCCEEDED:", failed, "FAILED:downstream_status",
                timedOut, "FAILED:downstream_timeout", refused, "FAILED:downstream_unreachable");
        for (String id : List.of(ok, failed, timedOut, refused)) {
            JsonNode job = awaitTerminal(api, id);
            assertThat(job.path("state").asString() + ":" + job.path("error").path("code").asString()).as(job.toString())
                .isEqualTo(outcomes.get(id));
            said.put("job " + id, job.toString());
            for (String stream : List.of("output", "log")) {
                said.put(stream + " " + id, authorized(api, "GET", "/api/v1/jobs/" + id + "/" + stream, null).raw().body());
            }
        }
        // the secrets were really used: the header went out, the key authenticated
        stub.verify(postRequestedFor(urlPathEqualTo("/planted/ok")).withHeader("Authorization", equalTo("Bearer " + HEADER_SECRET)));
        stub.verify(postRequestedFor(urlPathEqualTo("/planted/fail")).withHeader("Authorization", equalTo("Bearer " + HEADER_SECRET)));
        stub.verify(getRequestedFor(urlPathEqualTo("/planted/slow")).withHeader("Authorization", equalTo("Bearer " + HEADER_SECRET)));

        said.put("list", authorized(api, "GET", "/api/v1/jobs", null).raw().body());
        said.put("job types", authorized(api, "GET", "/api/v1/job-types", null).raw().body());
        Response invalid = authorized(api, "POST", "/api/v1/jobs", """
                {"type": "http", "payload": {"downstream": "nowhere", "method": "GET", "path": "/x"}}""");
        assertThat(invalid.status()).isEqualTo(400);
        said.put("400", invalid.raw().body());
        Response reserved = authorized(api, "POST", "/api/v1/jobs", """
                {"type": "http", "payload": {"downstream": "planted", "method": "GET", "path": "/x",
                 "headers": {"Host": "elsewhere"}}}""");
        said.put("400 reserved header", reserved.raw().body());
        Response unauthorized = api.getWithHeaders("/api/v1/jobs/" + ok, "X-API-Key", "not-the-key-0123456789abcdef");
        assertThat(unauthorized.status()).isEqualTo(401);
        said.put("401", unauthorized.raw().body() + unauthorized.raw().headers());

        try (RespClient client = new RespClient(resp.port())) {
            assertThat(client.call(args("AUTH", "admin", KEY))).isEqualTo("+OK");
            for (String id : List.of(ok, failed, timedOut, refused)) {
                said.put("RESP GET " + id, client.call(args("GET", id)));
                said.put("RESP LOG " + id, client.call(args("LOG", id, "0", "65536")));
            }
            said.put("RESP STATS", client.call(args("STATS")));
            assertThat(client.call(args("AUTH", "not-the-key-0123456789abcdef"))).startsWith("-WRONGPASS");
        }

        for (String endpoint : actuatorEndpoints(actuator, said)) {
            Response response = authorized(actuator, "GET", endpoint, null);
            said.put(endpoint, response.raw().body());
        }
        assertThat(said).containsKeys("/actuator/prometheus", "/actuator/health");
        assertThat(said.get("/actuator/prometheus")).contains("spindle_");
        Response metrics = authorized(actuator, "GET", "/actuator/metrics", null);
        for (JsonNode name : metrics.body().path("names")) {
            said.put("metric " + name.asString(), authorized(actuator, "GET", "/actuator/metrics/" + name.asString(), null).raw().body());
        }
        // Boot's configuration endpoints, if anyone exposes them, mask values; they are not exposed today
        for (String endpoint : List.of("/actuator/env", "/actuator/configprops", "/actuator/env/spindle.security.api-keys.admin.key")) {
            Response response = authorized(actuator, "GET", endpoint, null);
            said.put(endpoint + " " + response.status(), response.raw().body());
        }

        // Spindle's own log, start-up included (this class's properties start a context of their own)
        assertThat(output.getAll()).contains("API keys configured: {admin=[admin]}");
        said.put("log output", output.getAll());

        List<String> leaks = new ArrayList<>();
        said.forEach((where, text) -> secrets().forEach((secret, what) -> {
            if (text != null && text.contains(secret)) {
                leaks.add(what + " in " + where + ": " + excerpt(text, secret));
            }
        }));
        assertThat(leaks).isEmpty();
    }

    /**
     * Someone debugging a downstream turns on HttpClient's header log: the headers, credentials
     * included, then go to the server's log (the operator's choice), but not into job logs, which
     * every client with the read role may read. After the test above: this one does put the secret
     * in the server's log.
     */
    @Test
    @Order(2)
    void httpClientHeaderLoggingStaysOutOfJobLogs(CapturedOutput output) throws IOException {
        Api api = new Api(port);
        stub.stubFor(post(urlPathEqualTo("/planted/ok")).willReturn(aResponse().withStatus(200)));
        List<Logger> loggers = Stream.of("org.apache.hc.client5.http.headers", "org.apache.hc.client5.http.wire")
            .map(name -> (Logger) LoggerFactory.getLogger(name))
            .toList();
        String id;
        try {
            loggers.forEach(logger -> logger.setLevel(Level.DEBUG));
            id = submit(api, """
                    {"type": "http", "maxAttempts": 1, "payload": {"downstream": "planted", "method": "POST", "path": "/ok"}}""");
            assertThat(awaitTerminal(api, id).path("state").asString()).isEqualTo("SUCCEEDED");
        }
        finally {
            loggers.forEach(logger -> logger.setLevel(null));
        }

        assertThat(output.getAll()).as("the header log was on").contains(HEADER_SECRET);
        String log = authorized(api, "GET", "/api/v1/jobs/" + id + "/log", null).raw().body();
        String respLog;
        try (RespClient client = new RespClient(resp.port())) {
            assertThat(client.call(args("AUTH", KEY))).isEqualTo("+OK");
            respLog = client.call(args("LOG", id, "0", "65536"));
        }
        assertThat(log).doesNotContain(HEADER_SECRET).doesNotContain("Authorization");
        assertThat(respLog).doesNotContain(HEADER_SECRET).doesNotContain("Authorization");
    }

    /** Each secret, its distinctive half alone (a masked prefix would still give that away), and the key's SHA-256. */
    private static Map<String, String> secrets() {
        return Map.of(KEY, "the API key", KEY.substring(10), "the API key's tail", HEADER_SECRET, "the header secret",
                HEADER_SECRET.substring(10), "the header secret's tail", sha256(KEY), "the API key's SHA-256");
    }

    /** Every endpoint /actuator links to, with the templated ones' bare forms. */
    private List<String> actuatorEndpoints(Api actuator, Map<String, String> said) {
        Response index = authorized(actuator, "GET", "/actuator", null);
        assertThat(index.status()).isEqualTo(200);
        said.put("/actuator", index.raw().body());
        List<String> endpoints = new ArrayList<>();
        index.body().path("_links").properties().forEach(link -> {
            String href = link.getValue().path("href").asString();
            String path = href.substring(href.indexOf("/actuator")).replaceAll("/\\{[^}]*\\}.*$", "");
            if (!endpoints.contains(path)) {
                endpoints.add(path);
            }
        });
        return endpoints;
    }

    private static String submit(Api api, String job) {
        Response response = authorized(api, "POST", "/api/v1/jobs", job);
        assertThat(response.status()).as(response.raw().body()).isEqualTo(202);
        return response.id();
    }

    private static JsonNode awaitTerminal(Api api, String id) {
        for (int i = 0; i < 6; i++) {
            JsonNode job = authorized(api, "GET", "/api/v1/jobs/" + id + "?wait=PT10S", null).body();
            if (Stream.of("SUCCEEDED", "FAILED", "CANCELLED").anyMatch(job.path("state").asString()::equals)) {
                return job;
            }
        }
        throw new AssertionError("job " + id + " did not finish within a minute");
    }

    private static Response authorized(Api api, String method, String path, String json) {
        return api.request(method, path, json, "Authorization", "Bearer " + KEY);
    }

    private static String excerpt(String text, String secret) {
        int at = text.indexOf(secret);
        return text.substring(Math.max(0, at - 200), Math.min(text.length(), at + secret.length() + 50));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static List<byte[]> args(String... arguments) {
        return Stream.of(arguments).map(argument -> argument.getBytes(StandardCharsets.UTF_8)).toList();
    }
}
