package dev.spindle.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.spindle.Api;
import dev.spindle.SpindleProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A schedule every second for thirty seconds on three instances of the packaged jar sharing one
 * PostgreSQL, one of them SIGKILLed half-way: exactly one job per fire time, none missing, none
 * twice, and no leader (more than one node fires).
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScheduleProcessIT {

    private static final String SCHEMA = "spindle_schedule_it";

    private static final String KEY_PREFIX = "schedule:every-second:";

    @TempDir
    static Path workDir;

    private PostgresSchema schema;

    private final List<SpindleProcess> nodes = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        schema = PostgresSchema.fresh(SCHEMA);
        List<String> properties = new ArrayList<>(schema.properties());
        properties.addAll(List.of("spindle.cluster.lease-ttl=3s", "spindle.cluster.heartbeat-interval=500ms"));
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
            schema.close();
        }
    }

    @Test
    void everySecondForThirtySecondsOneJobPerFireTimeThroughASigkill() throws Exception {
        Api first = nodes.get(0).api();
        Api.Response created = first.post("/api/v1/schedules", """
                {"name": "every-second", "cron": "* * * * * *", "overlap": "allow", "job": {"type": "noop"}}""");
        assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
        Instant start = Instant.parse(created.body().path("nextFireTimes").get(0).asString());

        awaitLastFire(first, start.plusSeconds(14));
        SpindleProcess victim = nodes.get(1);
        long victimFires = fires(victim);
        victim.kill();
        Instant killedAt = Instant.now();
        Api third = nodes.get(2).api();
        awaitLastFire(third, start.plusSeconds(29));
        JsonNode paused = third.post("/api/v1/schedules/every-second/pause", "").body();
        assertThat(paused.path("paused").asBoolean()).isTrue();
        // no fire applies once the pause has committed: the last fire is final
        Instant last = Instant.parse(third.get("/api/v1/schedules/every-second").body().path("lastFire").path("at").asString());

        List<Instant> fired = schema.jdbc
            .sql("SELECT idempotency_key FROM " + SCHEMA + ".jobs WHERE idempotency_key LIKE ? ORDER BY run_at")
            .param(KEY_PREFIX + "%")
            .query(String.class)
            .list()
            .stream()
            .map(key -> Instant.parse(key.substring(KEY_PREFIX.length())))
            .toList();
        List<Instant> expected = new ArrayList<>();
        for (Instant at = start; !at.isAfter(last); at = at.plusSeconds(1)) {
            expected.add(at);
        }
        assertThat(expected).hasSizeGreaterThanOrEqualTo(30);
        assertThat(fired).as("one job per fire time from the first to the last, none missing, none twice")
            .containsExactlyElementsOf(expected);
        assertThat(schema.jdbc.sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs").query(Long.class).single())
            .as("no job beside them").isEqualTo(expected.size());
        JsonNode counts = third.get("/api/v1/schedules/every-second").body().path("counts");
        assertThat(counts.path("fires").asLong()).isEqualTo(expected.size());
        assertThat(counts.path("misfiresSkipped").asLong()).isZero();

        // which node fired what: every node ticks, the store applies one fire per time
        Map<String, Long> byNode = new LinkedHashMap<>();
        byNode.put(nodes.get(0).node, fires(nodes.get(0)));
        byNode.put(victim.node + " (until killed)", victimFires);
        byNode.put(nodes.get(2).node, fires(nodes.get(2)));
        Double lagMs = schema.jdbc.sql("SELECT MAX(EXTRACT(EPOCH FROM (created_at - run_at)) * 1000) FROM " + SCHEMA
                + ".jobs").query(Double.class).single();
        System.out.printf("%d fire times %s..%s, one job each; fires by node: %s; killed %s at %s; "
                + "latest submission %.0f ms after its fire time%n", expected.size(), start, last, byNode, victim.node,
                killedAt, lagMs);
        assertThat(byNode.values().stream().filter(n -> n > 0).count()).as("more than one node fired").isGreaterThan(1);
        assertThat(lagMs).as("every job submitted well within the misfire grace of its time").isLessThan(1000);
        assertThat(byNode.values().stream().mapToLong(Long::longValue).sum()).isLessThanOrEqualTo(expected.size());
        await().atMost(Duration.ofSeconds(60)).until(() -> schema.jdbc
            .sql("SELECT COUNT(*) FROM " + SCHEMA + ".jobs WHERE state = 'SUCCEEDED'").query(Long.class).single() == expected.size());
    }

    private static void awaitLastFire(Api api, Instant at) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonNode last = api.get("/api/v1/schedules/every-second").body().path("lastFire").path("at");
            return !last.isMissingNode() && !Instant.parse(last.asString()).isBefore(at);
        });
    }

    /** The node's own count of the fires it applied, from its Prometheus scrape. */
    private static long fires(SpindleProcess node) {
        String scrape = node.management().get("/actuator/prometheus").raw().body();
        return scrape.lines()
            .filter(line -> line.startsWith("spindle_schedules_fires_total{") && line.contains("outcome=\"fired\"")
                    && line.contains("schedule=\"every-second\""))
            .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
            .sum();
    }
}
