package dev.spindle.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import dev.spindle.config.SecurityProperties.Role;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;

import static dev.spindle.security.Client.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every REST and Actuator endpoint against every kind of caller, over real HTTP with API keys: no
 * credentials and a wrong key are 401, a key without the endpoint's role 403, a key with it (or
 * admin) the endpoint's normal answer; by either header. Each allowed call gets fresh fixtures
 * made by the admin key, so a call that changes state finds what it needs.
 */
@SpindleTest
@TestPropertySource(properties = {
        // this class fails dozens of authentications from 127.0.0.1 on purpose
        "spindle.security.auth-failures.limit=100000",
        "spindle.security.api-keys.ci.key=" + SecurityTests.CI, "spindle.security.api-keys.ci.roles=submit",
        "spindle.security.api-keys.dashboard.key=" + SecurityTests.DASHBOARD,
        "spindle.security.api-keys.dashboard.roles=read",
        "spindle.security.api-keys.oncall.key=" + SecurityTests.ONCALL, "spindle.security.api-keys.oncall.roles=operate",
        "spindle.security.api-keys.root.key=" + SecurityTests.ROOT, "spindle.security.api-keys.root.roles=admin",
        "spindle.security.api-keys.hashed.sha256=" + SecurityTests.HASHED_SHA256,
        "spindle.security.api-keys.hashed.roles=submit" })
class SecurityTests {

    static final String CI = "ci-key-0123456789abcdef";

    static final String DASHBOARD = "dashboard-key-0123456789abcdef";

    static final String ONCALL = "oncall-key-0123456789abcdef";

    static final String ROOT = "root-key-0123456789abcdef";

    static final String HASHED = "hashed-key-0123456789abcdef";

    /** {@code printf %s "$HASHED" | sha256sum} */
    static final String HASHED_SHA256 = "befb5785adc7cb4b9802bc48c01815ec8593f81e424914c0a5010e9a8a90a645";

    /** Jobs that must not run (to be cancelled, or left queued) go to this queue, paused. */
    private static final String HELD = "security-held";

    private static final String SCHEDULE_BODY = """
            {"name": "{id}", "cron": "0 0 0 1 1 *", "job": {"type": "noop", "queue": "%s"}}""".formatted(HELD);

    private static final AtomicInteger names = new AtomicInteger();

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    Client client;

    Client management;

    @BeforeEach
    void setUp() {
        client = Client.loopback(port);
        management = Client.loopback(managementPort);
        assertThat(as(ROOT).post("/api/v1/queues/" + HELD + "/pause", "").status()).isEqualTo(200);
    }

    @AfterEach
    void tearDown() {
        client.close();
        management.close();
    }

    /** What an endpoint needs to exist before it is called; its id replaces {@code {id}} in the path and body. */
    enum Fixture {
        NONE, NEW_NAME, DONE_JOB, QUEUED_JOB, CANCELLED_JOB, RUNNING_WORKFLOW, CANCELLED_WORKFLOW, QUEUE, SCHEDULE
    }

    record Endpoint(String method, String path, @Nullable String body, Role role, int status, Fixture fixture) {

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** A caller: its headers, and the role its key holds (null: no key, or a wrong one). */
    record Caller(String name, @Nullable Role role, String... headers) {

        boolean may(Role needed) {
            return role == Role.ADMIN || role == needed;
        }
    }

    static List<Endpoint> endpoints() {
        return List.of(
                new Endpoint("POST", "/api/v1/jobs", "{\"type\": \"noop\"}", Role.SUBMIT, 202, Fixture.NONE),
                new Endpoint("POST", "/api/v1/jobs/batch", "{\"jobs\": [{\"type\": \"noop\"}, {\"type\": \"noop\"}]}",
                        Role.SUBMIT, 202, Fixture.NONE),
                new Endpoint("GET", "/api/v1/jobs", null, Role.READ, 200, Fixture.NONE),
                new Endpoint("GET", "/api/v1/jobs/{id}", null, Role.READ, 200, Fixture.DONE_JOB),
                new Endpoint("HEAD", "/api/v1/jobs/{id}", null, Role.READ, 200, Fixture.DONE_JOB),
                new Endpoint("GET", "/api/v1/jobs/{id}/output", null, Role.READ, 200, Fixture.DONE_JOB),
                new Endpoint("GET", "/api/v1/jobs/{id}/log", null, Role.READ, 200, Fixture.DONE_JOB),
                new Endpoint("POST", "/api/v1/jobs/{id}/cancel", null, Role.OPERATE, 200, Fixture.QUEUED_JOB),
                new Endpoint("POST", "/api/v1/jobs/{id}/retry", null, Role.OPERATE, 202, Fixture.CANCELLED_JOB),
                new Endpoint("GET", "/api/v1/job-types", null, Role.READ, 200, Fixture.NONE),
                new Endpoint("POST", "/api/v1/workflows", "{\"steps\": [{\"id\": \"a\", \"type\": \"noop\"}]}",
                        Role.SUBMIT, 202, Fixture.NONE),
                new Endpoint("GET", "/api/v1/workflows", null, Role.READ, 200, Fixture.NONE),
                new Endpoint("GET", "/api/v1/workflows/{id}", null, Role.READ, 200, Fixture.RUNNING_WORKFLOW),
                new Endpoint("POST", "/api/v1/workflows/{id}/cancel", null, Role.OPERATE, 200, Fixture.RUNNING_WORKFLOW),
                new Endpoint("POST", "/api/v1/workflows/{id}/retry", null, Role.OPERATE, 202, Fixture.CANCELLED_WORKFLOW),
                new Endpoint("GET", "/api/v1/queues", null, Role.READ, 200, Fixture.NONE),
                new Endpoint("GET", "/api/v1/queues/{id}", null, Role.READ, 200, Fixture.QUEUE),
                new Endpoint("POST", "/api/v1/queues/{id}/pause", null, Role.OPERATE, 200, Fixture.QUEUE),
                new Endpoint("POST", "/api/v1/queues/{id}/resume", null, Role.OPERATE, 200, Fixture.QUEUE),
                new Endpoint("POST", "/api/v1/schedules", SCHEDULE_BODY, Role.OPERATE, 201, Fixture.NEW_NAME),
                new Endpoint("GET", "/api/v1/schedules", null, Role.READ, 200, Fixture.NONE),
                new Endpoint("GET", "/api/v1/schedules/{id}", null, Role.READ, 200, Fixture.SCHEDULE),
                new Endpoint("PUT", "/api/v1/schedules/{id}", SCHEDULE_BODY, Role.OPERATE, 200, Fixture.SCHEDULE),
                new Endpoint("DELETE", "/api/v1/schedules/{id}", null, Role.OPERATE, 204, Fixture.SCHEDULE),
                new Endpoint("POST", "/api/v1/schedules/{id}/pause", null, Role.OPERATE, 200, Fixture.SCHEDULE),
                new Endpoint("POST", "/api/v1/schedules/{id}/resume", null, Role.OPERATE, 200, Fixture.SCHEDULE),
                new Endpoint("POST", "/api/v1/schedules/{id}/trigger", null, Role.OPERATE, 202, Fixture.SCHEDULE));
    }

    static List<Caller> callers() {
        List<Caller> callers = new ArrayList<>(List.of(
                new Caller("no credentials", null),
                new Caller("wrong key (Bearer)", null, "Authorization", "Bearer wrong-key-0123456789abcdef"),
                new Caller("wrong key (X-API-Key)", null, "X-API-Key", "wrong-key-0123456789abcdef"),
                // a key's name is not its key
                new Caller("a key's name", null, "X-API-Key", "root")));
        String[][] keys = { { "submit", CI }, { "read", DASHBOARD }, { "operate", ONCALL }, { "admin", ROOT } };
        for (String[] key : keys) {
            Role role = Role.valueOf(key[0].toUpperCase(Locale.ROOT));
            callers.add(new Caller(key[0] + " (Bearer)", role, "Authorization", "Bearer " + key[1]));
            callers.add(new Caller(key[0] + " (X-API-Key)", role, "X-API-Key", key[1]));
        }
        return callers;
    }

    static Stream<Arguments> restCalls() {
        return endpoints().stream()
            .flatMap(endpoint -> callers().stream()
                .map(caller -> Arguments.argumentSet(endpoint + " as " + caller.name(), endpoint, caller)));
    }

    @ParameterizedTest
    @MethodSource("restCalls")
    void restEndpointAnswersEachCallerByItsRole(Endpoint endpoint, Caller caller) {
        String id = fixture(endpoint.fixture());
        String path = endpoint.path().replace("{id}", id);
        String body = endpoint.body() == null ? null : endpoint.body().replace("{id}", id);

        Response response = client.send(endpoint.method(), path, body, caller.headers());

        if (caller.role() == null) {
            assertUnauthorized(response, endpoint.method());
        }
        else if (!caller.may(endpoint.role())) {
            assertForbidden(response, endpoint.method());
        }
        else {
            assertThat(response.status()).as("%s: %s", endpoint, response.raw().body()).isEqualTo(endpoint.status());
        }
    }

    static Stream<Arguments> actuatorCalls() {
        List<String> probes = List.of("/actuator/health/liveness", "/actuator/health/readiness");
        List<String> admin = List.of("/actuator", "/actuator/health", "/actuator/info", "/actuator/metrics",
                "/actuator/metrics/spindle.pool.running", "/actuator/prometheus", "/actuator/circuitbreakers",
                "/actuator/ratelimiters", "/actuator/workerpool", "/actuator/memory");
        // a probe needs no role; READ only marks it as not admin's
        return Stream.concat(probes.stream().map(path -> new Endpoint("GET", path, null, Role.READ, 200, Fixture.NONE)),
                admin.stream().map(path -> new Endpoint("GET", path, null, Role.ADMIN, 200, Fixture.NONE)))
            .flatMap(endpoint -> callers().stream()
                .map(caller -> Arguments.argumentSet(endpoint + " as " + caller.name(), endpoint, caller)));
    }

    @ParameterizedTest
    @MethodSource("actuatorCalls")
    void actuatorNeedsAdminButForTheProbes(Endpoint endpoint, Caller caller) {
        boolean probe = endpoint.role() != Role.ADMIN;

        Response response = management.send(endpoint.method(), endpoint.path(), null, caller.headers());

        if (probe && caller.headers().length == 0) {
            assertThat(response.status()).isEqualTo(200);
        }
        else if (caller.role() == null) {
            // a wrong key is refused even where none is needed, as Spring's resource server does
            assertUnauthorized(response, "GET");
        }
        else if (!probe && !caller.may(Role.ADMIN)) {
            assertForbidden(response, "GET");
        }
        else {
            assertThat(response.status()).as("%s: %s", endpoint, response.raw().body()).isEqualTo(200);
        }
    }

    @Test
    void jobsAreSubmittedByTheKeysName() {
        Response job = as(CI).post("/api/v1/jobs", "{\"type\": \"noop\"}");
        Response batch = client.post("/api/v1/jobs/batch", "{\"jobs\": [{\"type\": \"noop\"}, {\"type\": \"noop\"}]}",
                "Authorization", "Bearer " + CI);

        assertThat(job.status()).isEqualTo(202);
        assertThat(job.body().path("submittedBy").asString()).isEqualTo("ci");
        assertThat(as(ROOT).get("/api/v1/jobs/" + job.id()).body().path("submittedBy").asString()).isEqualTo("ci");
        assertThat(batch.status()).isEqualTo(202);
        assertThat(batch.body().path("jobs")).hasSize(2)
            .allSatisfy(each -> assertThat(each.path("submittedBy").asString()).isEqualTo("ci"));
    }

    @Test
    void workflowAndItsStepsAreSubmittedByTheKeysName() {
        Response workflow = as(CI).post("/api/v1/workflows", """
                {"steps": [{"id": "a", "type": "noop"}, {"id": "b", "type": "noop", "dependsOn": ["a"]}]}""");

        assertThat(workflow.status()).isEqualTo(202);
        assertThat(workflow.body().path("submittedBy").asString()).isEqualTo("ci");
        JsonNode read = as(ROOT).get("/api/v1/workflows/" + workflow.id()).body();
        assertThat(read.path("submittedBy").asString()).isEqualTo("ci");
        assertThat(read.path("steps")).hasSize(2).allSatisfy(step -> assertThat(
                as(ROOT).get("/api/v1/jobs/" + step.path("jobId").asString()).body().path("submittedBy").asString())
            .isEqualTo("ci"));
    }

    @Test
    void scheduleIsDefinedByTheKeysNameAndSoAreTheJobsItSubmits() {
        String name = "by-key-" + names.incrementAndGet();
        Response created = as(ONCALL).post("/api/v1/schedules", SCHEDULE_BODY.replace("{id}", name));

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body().path("submittedBy").asString()).isEqualTo("oncall");
        Response triggered = as(ONCALL).post("/api/v1/schedules/" + name + "/trigger", "");
        assertThat(triggered.status()).isEqualTo(202);
        assertThat(triggered.body().path("submittedBy").asString()).isEqualTo("oncall");

        // whoever last defined it
        Response replaced = as(ROOT).send("PUT", "/api/v1/schedules/" + name, SCHEDULE_BODY.replace("{id}", name));
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(replaced.body().path("submittedBy").asString()).isEqualTo("root");
        assertThat(as(ROOT).get("/api/v1/schedules/" + name).body().path("submittedBy").asString()).isEqualTo("root");
    }

    @Test
    void keyGivenAsItsSha256Works() {
        Response job = as(HASHED).post("/api/v1/jobs", "{\"type\": \"noop\"}");
        Response read = as(HASHED).get("/api/v1/jobs");
        // the digest itself is not a key
        Response digest = as(HASHED_SHA256).post("/api/v1/jobs", "{\"type\": \"noop\"}");

        assertThat(job.status()).isEqualTo(202);
        assertThat(job.body().path("submittedBy").asString()).isEqualTo("hashed");
        assertForbidden(read, "GET");
        assertUnauthorized(digest, "POST");
    }

    @Test
    void unknownPathsNeedNoRoleOnceAuthenticationIsRequired() {
        // outside /api/ nothing is guarded but by protected mode, which credentials switch off
        assertThat(client.get("/no-such-page").status()).isEqualTo(404);
        // under /api/ the role is decided before the path is known to exist
        assertUnauthorized(client.get("/api/v1/no-such-resource"), "GET");
        assertThat(as(DASHBOARD).get("/api/v1/no-such-resource").status()).isEqualTo(404);
    }

    /** Spellings of a guarded path (encoded, dotted, doubled, with a trailing slash) are guarded too. */
    @Test
    void pathVariantsAreNoWayAround() {
        List<String> api = List.of("/api/v1/jobs/", "/api/v1//jobs", "//api/v1/jobs", "/api/v1/./jobs",
                "/api/v1/x/../jobs", "/%61pi/v1/jobs", "/api/v1/%6aobs", "/API/v1/jobs", "/api/v1/jobs;x=1",
                "/api/v1/jobs%2F", "/api%2Fv1/jobs", "/api/v1/jobs/%2e%2e/job-types");
        List<String> actuator = List.of("/actuator/prometheus/", "/actuator//prometheus", "/actuator/%70rometheus",
                "/actuator/health/liveness/../../prometheus", "/actuator/health/liveness/",
                "/actuator/health/liveness;x",
                "/actuator/health/readiness/db", "/actuator/health/liveness/../../../actuator/workerpool",
                "/actuator/metrics/", "/actuator/");
        // refused by the firewall (400), needing credentials (401) or matching nothing (404); never served
        for (String path : api) {
            assertThat(client.get(path).status()).as("GET %s", path).isIn(400, 401, 404);
            assertThat(client.post(path, "{\"type\": \"noop\"}").status()).as("POST %s", path).isIn(400, 401, 404);
        }
        for (String path : actuator) {
            assertThat(management.get(path).status()).as("GET %s on the management port", path).isIn(400, 401, 404);
        }
    }

    private void assertUnauthorized(Response response, String method) {
        assertThat(response.status()).as(response.raw().body()).isEqualTo(401);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
        if (!method.equals("HEAD")) {
            assertProblem(response, 401, "");
            assertThat(response.body().path("title").asString()).isEqualTo("Unauthorized");
        }
    }

    private void assertForbidden(Response response, String method) {
        assertThat(response.status()).as(response.raw().body()).isEqualTo(403);
        if (!method.equals("HEAD")) {
            assertProblem(response, 403, "These credentials do not allow " + method);
        }
    }

    /** Creates what {@code fixture} needs, as admin, and returns its id (or a fresh name). */
    private String fixture(Fixture fixture) {
        Authorized root = as(ROOT);
        return switch (fixture) {
            case NONE -> "";
            case NEW_NAME -> "security-" + names.incrementAndGet();
            case DONE_JOB -> {
                String id = created(root.post("/api/v1/jobs", "{\"type\": \"lines\", \"payload\": {\"count\": 2}}"));
                awaitTerminal(root, id);
                yield id;
            }
            case QUEUED_JOB -> created(root.post("/api/v1/jobs", "{\"type\": \"noop\", \"queue\": \"" + HELD + "\"}"));
            case CANCELLED_JOB -> {
                String id = fixture(Fixture.QUEUED_JOB);
                assertThat(root.post("/api/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(200);
                yield id;
            }
            case RUNNING_WORKFLOW -> created(root.post("/api/v1/workflows",
                    "{\"steps\": [{\"id\": \"a\", \"type\": \"noop\", \"queue\": \"" + HELD + "\"}]}"));
            case CANCELLED_WORKFLOW -> {
                String id = fixture(Fixture.RUNNING_WORKFLOW);
                assertThat(root.post("/api/v1/workflows/" + id + "/cancel", "").status()).isEqualTo(200);
                yield id;
            }
            case QUEUE -> {
                String name = fixture(Fixture.NEW_NAME);
                assertThat(root.post("/api/v1/queues/" + name + "/pause", "").status()).isEqualTo(200);
                yield name;
            }
            case SCHEDULE -> {
                String name = fixture(Fixture.NEW_NAME);
                assertThat(root.post("/api/v1/schedules", SCHEDULE_BODY.replace("{id}", name)).status()).isEqualTo(201);
                yield name;
            }
        };
    }

    private static String created(Response response) {
        assertThat(response.status()).as(response.raw().body()).isEqualTo(202);
        return response.id();
    }

    private static void awaitTerminal(Authorized root, String id) {
        for (int i = 0; i < 6; i++) {
            String state = root.get("/api/v1/jobs/" + id + "?wait=PT10S").state();
            if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
                return;
            }
        }
        throw new AssertionError("job " + id + " did not finish within a minute");
    }

    private Authorized as(String key) {
        return new Authorized(client, key);
    }

    /** Calls with one key, by {@code X-API-Key}. */
    private record Authorized(Client client, String key) {

        Response get(String path) {
            return client.get(path, "X-API-Key", key);
        }

        Response post(String path, String json) {
            return client.post(path, json, "X-API-Key", key);
        }

        Response send(String method, String path, String json) {
            return client.send(method, path, json, "X-API-Key", key);
        }
    }
}
