package dev.spindle.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Queue limits across three instances of the packaged jar sharing one PostgreSQL: their {@code http}
 * jobs call a stub that records how many calls of each key (and of each queue) are in flight at
 * once. A per-key limit and a cluster-wide queue limit are never passed, pause stops every node,
 * resume starts them again, and an instance killed while it holds limited slots gives them back
 * once its leases expire.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueueProcessIT {

    private static final String SCHEMA = "spindle_queue_it";

    private static final Duration HEARTBEAT = Duration.ofMillis(500);

    @TempDir
    static Path workDir;

    private final Stub stub = new Stub();

    private PostgresSchema schema;

    private final List<SpindleProcess> nodes = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        stub.start();
        schema = PostgresSchema.fresh(SCHEMA);
        List<String> properties = new ArrayList<>(schema.properties());
        properties.addAll(List.of("spindle.pool.concurrency=16", "spindle.cluster.lease-ttl=3s",
                "spindle.cluster.heartbeat-interval=" + HEARTBEAT.toMillis() + "ms",
                "spindle.downstreams.stub.base-url=http://127.0.0.1:" + stub.port(),
                "spindle.queues.calls.max-running-per-key=2", "spindle.queues.partner.max-running=5",
                "spindle.queues.partner.max-running-per-node=2"));
        for (int i = 1; i <= 3; i++) {
            nodes.add(SpindleProcess.start("node-" + i, workDir, properties));
        }
        await().atMost(Duration.ofMinutes(2)).until(() -> nodes.stream().allMatch(SpindleProcess::ready));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            for (SpindleProcess node : nodes) {
                node.close();
            }
        }
        finally {
            stub.stop();
            schema.close();
        }
    }

    @Test
    @Order(1)
    void twoThousandJobsOverTwentyKeysNeverRunMoreThanTwoPerKey() {
        String batch = "calls-" + System.nanoTime();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            jobs.add(call("calls", "k" + (i % 20), "/work/" + batch + "-k" + (i % 20) + "?ms=10"));
        }
        submit(jobs);

        awaitAllEnded(2000);
        assertThat(succeeded()).isEqualTo(2000);
        Map<String, Integer> most = stub.mostInFlight(batch + "-k");
        System.out.printf("per key, most calls in flight at once: %s%n", most);
        assertThat(most).hasSize(20);
        assertThat(most.values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2));
        assertThat(most.values()).as("the limit was reached, so it was what held them").contains(2);
        assertThat(stub.calls(batch + "-k")).isEqualTo(2000);
        assertThat(nodesThatRan()).as("all three instances took their share").isEqualTo(3);
    }

    @Test
    @Order(2)
    void aQueueLimitOfFiveHoldsAcrossTheCluster() {
        // (a node refills the slots its calls free in the same transaction as their completions:
        // without the per-node limit of 2 the first node would keep all five)
        String batch = "partner-" + System.nanoTime();
        List<String> jobs = new ArrayList<>();
        // calls long against the claim and completion around them, so that five running jobs are
        // five calls in flight at once
        for (int i = 0; i < 120; i++) {
            jobs.add(call("partner", null, "/work/" + batch + "?ms=100"));
        }
        submit(jobs, 20);

        awaitAllEnded(120);
        assertThat(succeeded()).isEqualTo(120);
        int most = stub.mostInFlight(batch).get(batch);
        long ran = nodesThatRan();
        System.out.printf("queue partner: most calls in flight at once across three nodes: %d; %d nodes ran them%n",
                most, ran);
        assertThat(most).isEqualTo(5);
        // at most 2 per node: the five slots can only be filled by all three nodes together, so the
        // cluster-wide count is what stopped a sixth
        assertThat(ran).isEqualTo(3);
    }

    @Test
    @Order(3)
    void pauseStopsEveryNodeAndResumeStartsThemAgain() {
        String batch = "paused-" + System.nanoTime();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            jobs.add(call("calls", "p" + (i % 20), "/work/" + batch + "?ms=50"));
        }
        submit(jobs);
        await().atMost(Duration.ofSeconds(30)).until(() -> stub.calls(batch) >= 40);

        Response paused = nodes.getFirst().api().post("/api/v1/queues/calls/pause", "");
        assertThat(paused.status()).isEqualTo(200);
        long pausedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).until(() -> running() == 0);
        int startedSoFar = stub.calls(batch);
        long lastStart = stub.lastStart(batch);
        // every node claims after the pause (a job of another queue on each), and starts none of them
        List<String> probes = new ArrayList<>();
        for (SpindleProcess node : nodes) {
            probes.add(node.api().post("/api/v1/jobs", "{\"type\": \"noop\"}").id());
        }
        for (String probe : probes) {
            await().atMost(Duration.ofSeconds(20))
                .until(() -> "SUCCEEDED".equals(nodes.getFirst().api().get("/api/v1/jobs/" + probe).state()));
        }
        assertThat(stub.calls(batch)).isEqualTo(startedSoFar);
        long queued = queued("calls");
        System.out.printf("pause: %d of 600 started, the last %d ms after the pause; %d queued%n", startedSoFar,
                (lastStart - pausedAt) / 1_000_000, queued);
        assertThat(queued).isPositive();
        assertThat(lastStart - pausedAt).as("no start later than a heartbeat after the pause")
            .isLessThan(HEARTBEAT.toNanos());
        JsonView view = new JsonView(nodes.get(2).api().get("/api/v1/queues/calls"));
        assertThat(view.bool("paused")).isTrue();

        assertThat(nodes.get(2).api().post("/api/v1/queues/calls/resume", "").status()).isEqualTo(200);
        awaitAllEnded(0);
        assertThat(stub.calls(batch)).isEqualTo(600);
    }

    @Test
    @Order(4)
    void aKilledInstanceGivesItsLimitedSlotsBackWhenItsLeasesExpire() throws Exception {
        String batch = "solo-" + System.nanoTime();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            jobs.add(call("calls", batch, "/work/" + batch + "?ms=300"));
        }
        submit(jobs);
        await().atMost(Duration.ofSeconds(30)).until(() -> stub.inFlight(batch) == 2);
        String holder = schema.jdbc.sql("SELECT node FROM " + SCHEMA + ".jobs WHERE state = 'RUNNING' AND concurrency_key = ? LIMIT 1")
            .param(batch)
            .query(String.class)
            .single();
        SpindleProcess victim = nodes.stream().filter(node -> node.node.equals(holder)).findFirst().orElseThrow();
        victim.kill();
        long killedAt = System.nanoTime();

        // its leases expire and the survivors reap its jobs; from then on the two slots are theirs:
        // two calls at once again, never three
        await().atMost(Duration.ofSeconds(60)).until(() -> schema.jdbc
            .sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'RUNNING' AND node = ?")
            .param(victim.node)
            .query(Long.class)
            .single() == 0);
        stub.resetMost(batch);
        await().atMost(Duration.ofSeconds(30)).until(() -> stub.mostInFlight(batch).getOrDefault(batch, 0) == 2);
        long twoAgain = System.nanoTime();
        awaitAllEnded(0);
        System.out.printf("SIGKILL of %s holding a limited slot: two at once again %d ms later%n", victim.node,
                (twoAgain - killedAt) / 1_000_000);
        assertThat(stub.mostInFlight(batch).get(batch)).isEqualTo(2);
        assertThat(schema.jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE concurrency_key = ? AND state = 'SUCCEEDED'")
            .param(batch).query(Long.class).single()).isEqualTo(40);
        nodes.remove(victim);
        victim.close();
    }

    // --- helpers --------------------------------------------------------------------------------

    private static String call(String queue, String key, String path) {
        String keyField = key == null ? "" : ", \"concurrencyKey\": \"" + key + "\"";
        String[] parts = path.split("\\?");
        String query = parts.length > 1 ? ", \"query\": {\"ms\": \"" + parts[1].substring(3) + "\"}" : "";
        return "{\"type\": \"http\", \"queue\": \"" + queue + "\"" + keyField + ", \"maxAttempts\": 10, "
                + "\"payload\": {\"downstream\": \"stub\", \"method\": \"POST\", \"path\": \"" + parts[0] + "\"" + query
                + "}}";
    }

    /** Submits the jobs in batches of 250, to the nodes in turn. */
    private void submit(List<String> jobs) {
        submit(jobs, 250);
    }

    private void submit(List<String> jobs, int batch) {
        for (int from = 0, n = 0; from < jobs.size(); from += batch, n++) {
            String body = jobs.subList(from, Math.min(jobs.size(), from + batch))
                .stream()
                .collect(Collectors.joining(", ", "{\"jobs\": [", "]}"));
            Response response = nodes.get(n % nodes.size()).api().post("/api/v1/jobs/batch", body);
            assertThat(response.status()).as(response.raw().body()).isEqualTo(202);
        }
    }

    private void awaitAllEnded(int atLeast) {
        await().atMost(Duration.ofMinutes(2)).until(() -> schema.jdbc
            .sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state IN ('QUEUED', 'RUNNING')")
            .query(Long.class)
            .single() == 0);
        assertThat(schema.jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs").query(Long.class).single())
            .isGreaterThanOrEqualTo(atLeast);
    }

    private long succeeded() {
        return schema.jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'SUCCEEDED' AND type = 'http'")
            .query(Long.class)
            .single();
    }

    /** How many instances ran the http jobs there are now; they are deleted, for the next test's counts. */
    private long nodesThatRan() {
        long nodes = schema.jdbc.sql("SELECT COUNT(DISTINCT node) FROM " + SCHEMA + ".jobs WHERE type = 'http'")
            .query(Long.class)
            .single();
        schema.jdbc.sql("DELETE FROM " + SCHEMA + ".jobs WHERE type = 'http'").update();
        return nodes;
    }

    private long running() {
        return schema.jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'RUNNING'").query(Long.class).single();
    }

    private long queued(String queue) {
        return schema.jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'QUEUED' AND queue = ?")
            .param(queue)
            .query(Long.class)
            .single();
    }

    private record JsonView(Response response) {

        boolean bool(String field) {
            return response.body().path(field).asBoolean();
        }
    }

    /**
     * The downstream: {@code POST /work/<name>?ms=N} holds the call for N ms (the work) and counts,
     * per name, the calls in flight, the most at once, all calls, and when the last one started.
     */
    static final class Stub {

        private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

        private final Map<String, AtomicInteger> most = new ConcurrentHashMap<>();

        private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        private final Map<String, AtomicLong> lastStart = new ConcurrentHashMap<>();

        private HttpServer server;

        void start() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/work/", this::handle);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        void stop() {
            server.stop(0);
        }

        private void handle(HttpExchange exchange) throws IOException {
            String name = exchange.getRequestURI().getPath().substring("/work/".length());
            String query = exchange.getRequestURI().getQuery();
            long ms = query == null ? 0 : Long.parseLong(query.substring(query.indexOf('=') + 1));
            lastStart.computeIfAbsent(name, n -> new AtomicLong()).set(System.nanoTime());
            calls.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            int now = inFlight.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            most.computeIfAbsent(name, n -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            try {
                // the downstream's work
                Thread.sleep(ms);
                byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            finally {
                inFlight.get(name).decrementAndGet();
                exchange.close();
            }
        }

        Map<String, Integer> mostInFlight(String prefix) {
            return most.entrySet()
                .stream()
                .filter(entry -> entry.getKey().startsWith(prefix))
                .collect(Collectors.toMap(Map.Entry::getKey, entry -> entry.getValue().get()));
        }

        int calls(String prefix) {
            return calls.entrySet()
                .stream()
                .filter(entry -> entry.getKey().startsWith(prefix))
                .mapToInt(entry -> entry.getValue().get())
                .sum();
        }

        int inFlight(String name) {
            AtomicInteger n = inFlight.get(name);
            return n == null ? 0 : n.get();
        }

        long lastStart(String prefix) {
            return lastStart.entrySet()
                .stream()
                .filter(entry -> entry.getKey().startsWith(prefix))
                .mapToLong(entry -> entry.getValue().get())
                .max()
                .orElse(0);
        }

        void resetMost(String name) {
            most.computeIfAbsent(name, n -> new AtomicInteger()).set(inFlight(name));
        }
    }
}
