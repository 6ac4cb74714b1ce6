package dev.spindle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.spindle.Api.Response;
import dev.spindle.RawHttp.Answer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded fuzzing of both protocols: thousands of generated submissions and requests, most of
 * them hostile (out-of-range numbers and instants, wrong JSON types, duplicate keys, NUL
 * characters, broken JSON, broken request lines, paths and headers, stray RESP commands). The
 * rules: never a 5xx (but a 505 for a mangled HTTP version), every 4xx is problem+json, a refused
 * request stores nothing (the jobs table grows by exactly the jobs that were acknowledged), and a
 * well-behaved client gets its answers throughout and after.
 *
 * <p>The seed is printed; run one again with {@code -Dspindle.fuzz.seed=N} (and
 * {@code -Dspindle.fuzz.cases=N} for more or fewer cases).
 */
@SpindleTest
class InputFuzzTests {

    private static final long SEED = Long.getLong("spindle.fuzz.seed", 20_261_202L);

    private static final int CASES = Integer.getInteger("spindle.fuzz.cases", 3_000);

    /** How many cases this store gets (a subclass runs the same on PostgreSQL). */
    int cases() {
        return CASES;
    }

    /** The longest a well-behaved client may wait for one answer while the fuzzing runs. */
    private static final Duration PATIENCE = Duration.ofSeconds(5);

    @LocalServerPort
    int port;

    @Autowired
    dev.spindle.tcp.RespServer resp;

    @Autowired
    JdbcClient jdbc;

    @Test
    void hostileInputNeverBreaksTheServiceNorStoresAnything() throws Exception {
        int cases = cases();
        System.out.println(getClass().getSimpleName() + " seed " + SEED + ", " + cases + " cases (-Dspindle.fuzz.seed="
                + SEED + ")");
        Random random = new Random(SEED);
        // the keys name this run too: a second run on the same database (PostgreSQL's persists) would
        // otherwise find the first run's jobs under them, and store nothing new for what it is acknowledged
        String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        Generator generate = new Generator(random, "fuzz-" + SEED + "-" + run + "-");
        Api api = new Api(port);
        RawHttp raw = new RawHttp(port);
        Set<String> acknowledged = new HashSet<>();
        List<String> violations = new ArrayList<>();
        long before = StoredJobs.count(jdbc);

        WellBehavedClient client = new WellBehavedClient(api, resp.port());
        try (RespClient fuzzResp = new RespClient(resp.port())) {
            client.start();
            for (int i = 0; i < cases && violations.size() < 20; i++) {
                int kind = random.nextInt(10);
                String label = "case " + i + " (seed " + SEED + ")";
                if (kind < 5) {
                    restSubmission(api, generate, label, acknowledged, violations);
                }
                else if (kind < 7) {
                    rawRequest(raw, generate, label, violations);
                }
                else {
                    respCommand(fuzzResp, generate, label, acknowledged, violations);
                }
            }
        }
        finally {
            client.stop();
        }

        assertThat(violations).as("rule violations").isEmpty();
        assertThat(client.failures).as("answers the well-behaved client missed").isEmpty();
        assertThat(client.answers.get()).as("answers the well-behaved client got").isPositive();
        assertThat(Duration.ofNanos(client.slowest.get())).as("its slowest answer").isLessThan(PATIENCE);
        assertThat(StoredJobs.count(jdbc) - before).as("jobs stored = jobs acknowledged").isEqualTo(acknowledged.size());
        String id = api.submit("{\"type\": \"noop\"}");
        assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
    }

    private static void restSubmission(Api api, Generator generate, String label, Set<String> acknowledged,
            List<String> violations) {
        boolean batch = generate.random.nextInt(4) == 0;
        String body = batch ? generate.batch() : generate.body();
        Response response = api.post(batch ? "/api/v1/jobs/batch" : "/api/v1/jobs", body);
        String what = label + " POST " + (batch ? "batch " : "") + abbreviate(body) + " -> " + response.status() + " "
                + abbreviate(response.raw().body());
        int status = response.status();
        if (status == 200 || status == 202) {
            JsonNode jobs = batch ? response.body().path("jobs") : null;
            if (batch) {
                jobs.forEach(job -> acknowledged.add(job.path("id").asString()));
            }
            else {
                acknowledged.add(response.id());
            }
            return;
        }
        checkProblem(status, response.header("Content-Type"), response.raw().body(), what, violations);
    }

    private static void rawRequest(RawHttp raw, Generator generate, String label, List<String> violations) {
        Generator.Request request = generate.request();
        Answer answer = raw.exchange(request.bytes());
        String what = label + " " + abbreviate(new String(request.bytes(), StandardCharsets.ISO_8859_1)) + " -> " + answer;
        if (answer.status() == 0) {
            violations.add("no HTTP answer: " + what);
            return;
        }
        if (answer.status() == 505 && !request.validVersion()) {
            return;
        }
        if (answer.status() >= 400) {
            String body = request.head() ? null : answer.body();
            checkProblem(answer.status(), answer.contentType(), body, what, violations);
        }
    }

    private static void respCommand(RespClient resp, Generator generate, String label, Set<String> acknowledged,
            List<String> violations) throws IOException {
        List<byte[]> command = generate.command();
        String reply = resp.call(command);
        String what = label + " " + abbreviate(describe(command)) + " -> " + abbreviate(reply);
        if (reply.startsWith("-")) {
            if (!reply.startsWith("-ERR ") && !reply.startsWith("-BUSY ") && !reply.startsWith("-LIMIT ")
                    || reply.contains("failed to run the command")) {
                violations.add("not a clear RESP error: " + what);
            }
            return;
        }
        String name = new String(command.getFirst(), StandardCharsets.UTF_8);
        if (name.equals("SUBMIT") && reply.startsWith("$")) {
            acknowledged.add(reply.substring(reply.indexOf('\n') + 1).strip());
        }
    }

    private static void checkProblem(int status, String contentType, String body, String what, List<String> violations) {
        if (status >= 500) {
            violations.add("5xx: " + what);
        }
        else if (status >= 400) {
            if (contentType == null || !contentType.startsWith("application/problem+json")) {
                violations.add("4xx without problem+json: " + what);
            }
            else if (body != null && Api.parse(body).path("status").asInt() != status) {
                violations.add("problem body without its status: " + what);
            }
        }
        else {
            violations.add("unexpected status: " + what);
        }
    }

    private static String describe(List<byte[]> command) {
        StringBuilder text = new StringBuilder();
        command.forEach(argument -> text.append(new String(argument, StandardCharsets.UTF_8)).append(' '));
        return text.toString().strip();
    }

    private static String abbreviate(String text) {
        String printable = text == null ? "" : text.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0");
        return printable.length() <= 200 ? printable : printable.substring(0, 200) + "…";
    }

    /** REST and RESP requests a correct client makes all along, each answered in time. */
    private static final class WellBehavedClient {

        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

        final AtomicInteger answers = new AtomicInteger();

        final AtomicLong slowest = new AtomicLong();

        private final Api api;

        private final int respPort;

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final CountDownLatch stopped = new CountDownLatch(1);

        private final ExecutorService thread = Executors.newVirtualThreadPerTaskExecutor();

        private Future<?> loop;

        WellBehavedClient(Api api, int respPort) {
            this.api = api;
            this.respPort = respPort;
        }

        void start() {
            loop = thread.submit(() -> {
                try (RespClient resp = new RespClient(respPort)) {
                    while (running.get()) {
                        long started = System.nanoTime();
                        Response types = api.get("/api/v1/job-types");
                        String pong = resp.call(List.of("PING".getBytes(StandardCharsets.US_ASCII)));
                        slowest.accumulateAndGet(System.nanoTime() - started, Math::max);
                        if (types.status() != 200 || !pong.equals("+PONG")) {
                            failures.add("job-types " + types.status() + ", PING " + pong);
                        }
                        answers.incrementAndGet();
                        // a steady client, not a flood: paced by the latch, which only the end releases
                        stopped.await(20, java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                }
                catch (Exception ex) {
                    failures.add(ex.toString());
                }
                return null;
            });
        }

        void stop() throws Exception {
            running.set(false);
            stopped.countDown();
            loop.get();
            thread.close();
        }
    }

    /** Makes the cases from the seed: valid values mixed with every kind of hostile one. */
    static final class Generator {

        record Request(byte[] bytes, boolean validVersion, boolean head) {
        }

        final Random random;

        private final String keyPrefix;

        private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        Generator(Random random, String keyPrefix) {
            this.random = random;
            this.keyPrefix = keyPrefix;
        }

        private static final String[] TYPES = { "\"noop\"", "\"noop\"", "\"noop\"", "\"sleep\"", "\"\"", "\"fax\"",
                "5", "null", "true", "\"no\\u0000op\"", "\"" + "x".repeat(101) + "\"", "\"NOOP\"", "[]", "{}",
                "\"\\ud800\"", "\"no\\nop\"" };

        private static final String[] PAYLOADS = { "{}", "{}", "{\"ms\": 0}", "{\"ms\": 1}", "{\"ms\": -1}",
                "{\"ms\": 99999999999999999999}", "{\"ms\": 1.5}", "{\"ms\": \"1\"}", "{\"a\": \"\\u0000\"}",
                "{\"\\u0000\": 1}", "{\"a\": 1, \"a\": 2}", "[]", "42", "\"s\"", "null", "{\"x\": \"\\ud800\"}",
                "{\"big\": 1e400}", "{\"n\": -0.0}", "{\"deep\": " + "[".repeat(60) + "]".repeat(60) + "}",
                "{\"s\": \"" + "é".repeat(300) + "\"}" };

        private static final String[] PRIORITIES = { "0", "5", "9", "-1", "10", "1.5", "\"5\"", "99999999999999999999",
                "-99999999999999999999", "1e2", "null", "true", "\"\"", "2147483648" };

        private static final String[] ATTEMPTS = { "1", "3", "100", "0", "101", "\"5\"", "2.0", "2147483648", "null",
                "-2147483649" };

        private static final String[] DURATIONS = { "\"PT1S\"", "\"PT30S\"", "\"PT0S\"", "\"-PT1S\"", "\"PT25H\"",
                "\"PT9223372036854775807S\"", "\"PT99999999999999999999S\"", "\"\"", "30", "\"P1D\"", "\"junk\"",
                "null", "\"P120000D\"", "\"PT1H\"", "\"P365D\"", "\"P366D\"", "\"-PT9223372036854775808S\"" };

        String body() {
            List<String> members = new ArrayList<>();
            if (random.nextInt(10) > 0) {
                members.add("\"type\": " + pick(TYPES));
            }
            maybe(members, "payload", PAYLOADS);
            maybe(members, "priority", PRIORITIES);
            maybe(members, "maxAttempts", ATTEMPTS);
            maybe(members, "timeout", DURATIONS);
            if (random.nextBoolean()) {
                maybe(members, "delay", DURATIONS);
            }
            else {
                maybe(members, "runAt", instants());
            }
            maybe(members, "idempotencyKey", keys());
            if (random.nextInt(15) == 0) {
                members.add("\"colour\": \"red\"");
            }
            if (!members.isEmpty() && random.nextInt(12) == 0) {
                members.add(members.get(random.nextInt(members.size())));
            }
            java.util.Collections.shuffle(members, random);
            return mangle("{" + String.join(", ", members) + "}");
        }

        String batch() {
            List<String> jobs = new ArrayList<>();
            int size = random.nextInt(4);
            for (int i = 0; i < size; i++) {
                jobs.add(random.nextInt(10) == 0 ? "null" : body());
            }
            return random.nextInt(10) == 0 ? "{\"jobs\": null}" : "{\"jobs\": [" + String.join(", ", jobs) + "]}";
        }

        List<byte[]> command() {
            int kind = random.nextInt(8);
            return switch (kind) {
                case 0, 1, 2 -> List.of(bytes("SUBMIT"), bytes(body()));
                case 3 -> List.of(bytes("GET"), id());
                case 4 -> List.of(bytes("WAIT"), id(), bytes(pick(new String[] { "0", "-1", "abc", "99999999999999999999",
                        "60001", "1.5", "", "\0" })));
                case 5 -> List.of(bytes("CANCEL"), id());
                case 6 -> List.of(bytes(pick(new String[] { "SUBMIT", "GET", "WAIT", "CANCEL", "PING" })));
                default -> List.of(bytes(pick(new String[] { "FLUSHALL", "HELLO", "submit", "\0", "CLIENT", "" })),
                        bytes("x"));
            };
        }

        Request request() {
            String method = pick(new String[] { "GET", "GET", "POST", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS",
                    "G\0T", "TRACE" });
            String path = pick(new String[] { "/api/v1/jobs", "/api/v1/jobs/" + token(), "/api/v1/jobs/" + token() + "/cancel",
                    "/api/v1/jobs/" + token() + "/retry", "/api/v1/job-types", "/error", "/" + token(), "/api/v1/jobs/batch",
                    "/actuator/health", "/api/v1/jobs/%2e%2e/%2e%2e/error" });
            String query = random.nextInt(3) > 0 ? ""
                    : "?" + pick(new String[] { "after", "type", "state", "limit", "wait", "x" }) + "=" + token();
            boolean validVersion = random.nextInt(20) > 0;
            String version = validVersion ? pick(new String[] { "HTTP/1.1", "HTTP/1.0" })
                    : pick(new String[] { "HTTP/2.0", "HTTP/9.9", "HTTP/1.1x", "FTP/1.0", "" });
            StringBuilder head = new StringBuilder(method + " " + path + query + " " + version + "\r\nHost: x");
            if (random.nextBoolean()) {
                head.append("\r\nAccept: ").append(pick(new String[] { "text/html", "*/*", "application/xml",
                        "application/json", "application/problem+json", "garbage", "" }));
            }
            String body = method.startsWith("P") ? body() : "";
            byte[] content = body.getBytes(StandardCharsets.UTF_8);
            if (!body.isEmpty()) {
                head.append("\r\nContent-Type: ").append(pick(new String[] { "application/json", "application/json",
                        "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "" }));
                head.append("\r\nContent-Length: ").append(content.length);
            }
            if (random.nextInt(25) == 0) {
                head.append("\r\nX-Padding: ").append("p".repeat(9_000 + random.nextInt(60_000)));
            }
            if (random.nextInt(25) == 0) {
                head.append("\r\nBroken header line");
            }
            head.append("\r\nConnection: close\r\n\r\n");
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            request.writeBytes(content);
            return new Request(request.toByteArray(), validVersion && !method.contains("\0"), method.equals("HEAD"));
        }

        private String[] instants() {
            return new String[] { "\"" + now.minus(1, ChronoUnit.HOURS) + "\"", "\"" + now.plus(1, ChronoUnit.HOURS) + "\"",
                    "\"1700-01-01T00:00:00Z\"", "\"+1000000000-12-31T23:59:59Z\"", "\"+1000000001-01-01T00:00:00Z\"",
                    "\"-1000000000-01-01T00:00:00Z\"", "\"\"", "1700000000", "\"tomorrow\"", "\"2026-13-01T00:00:00Z\"",
                    "\"" + now.minus(Duration.ofDays(99 * 365)) + "\"", "\"" + now.minus(Duration.ofDays(101 * 366)) + "\"",
                    "\"2026-06-01T12:00:00+02:00\"", "null" };
        }

        private String[] keys() {
            return new String[] { "\"" + keyPrefix + random.nextInt(1_000) + "\"", "\"\"", "\"\\u0000\"",
                    "\"" + "k".repeat(256) + "\"", "5", "null", "\"" + keyPrefix + "é\\u0001\"" };
        }

        private void maybe(List<String> members, String name, String[] values) {
            if (random.nextInt(3) == 0) {
                members.add("\"" + name + "\": " + pick(values));
            }
        }

        /** Sometimes breaks the document: cut short, a stray byte, or something else entirely. */
        private String mangle(String json) {
            return switch (random.nextInt(25)) {
                case 0 -> json.substring(0, random.nextInt(json.length()));
                case 1 -> {
                    int at = random.nextInt(json.length());
                    yield json.substring(0, at) + pick(new String[] { "\0", "\"", "}", ",", "\\", "\u00ff", "\t" })
                            + json.substring(at);
                }
                case 2 -> pick(new String[] { "null", "[]", "\"noop\"", "", "{\"jobs\": []}", "[" + json + "]" });
                default -> json;
            };
        }

        private byte[] id() {
            return bytes(pick(new String[] { token(), "", "\0", "0199" + "0".repeat(32), "x".repeat(65),
                    "01990000-0000-7000-8000-000000000000", "a\r\nb" }));
        }

        /** A path segment or query value, percent-encoded or not, often hostile. */
        private String token() {
            return pick(new String[] { "abc", "%00", "%2f", "%2F", "%5c", "%ff%fe", "%", "%zz", "%25", "%e2%82%ac",
                    "..", "%2e%2e", "a;b=c", "x".repeat(100), "01990000-0000-7000-8000-000000000000", "a%00b",
                    "QUEUED", "-1", "99999999999999999999", "PT9223372036854775807S", "%0d%0aX:%20y" });
        }

        private String pick(String[] values) {
            return values[random.nextInt(values.length)];
        }

        private static byte[] bytes(String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }
}
