package dev.spindle.schedule;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.MutableClock;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A restart after downtime under each misfire policy: three schedules every minute fire at M1, the
 * service stops, and starts again (same SQLite file, the clock ten minutes and five seconds on):
 * M2 to M10 were missed, M11 is on time. The restarted ticker applies each policy; nothing that
 * fired before the stop fires again.
 */
class ScheduleRestartTests {

    static final MutableClock CLOCK = MutableClock.Config.SHARED;

    @TempDir
    Path dir;

    @Test
    void eachMisfirePolicyAfterTenMinutesDown() throws SQLException {
        Instant m1 = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
        CLOCK.set(m1.minusSeconds(30));
        try (ConfigurableApplicationContext first = start("spindle.scheduler.enabled=false")) {
            Api api = api(first);
            api.post("/api/v1/queues/held/pause", "");
            for (String policy : List.of("skip\"", "run_once\"", "catch_up\", \"catchUpLimit\": 3")) {
                String name = "down-" + policy.substring(0, policy.indexOf('"')).replace('_', '-');
                assertThat(api.post("/api/v1/schedules", """
                        {"name": "%s", "cron": "0 * * * * *", "overlap": "allow", "misfire": "%s,
                         "job": {"type": "noop", "queue": "held"}}""".formatted(name, policy)).status()).isEqualTo(201);
            }
            CLOCK.set(m1);
            first.getBean(Scheduler.class).tick();
        }
        assertThat(fired("down-skip")).containsExactly(m1);
        assertThat(fired("down-run-once")).containsExactly(m1);
        assertThat(fired("down-catch-up")).containsExactly(m1);

        Instant m11 = m1.plus(Duration.ofMinutes(10));
        CLOCK.set(m11.plusSeconds(5));
        try (ConfigurableApplicationContext second = start()) {
            Api api = api(second);
            // the ticker thread's first tick
            await().atMost(Duration.ofSeconds(30)).until(() -> List.of("down-skip", "down-run-once", "down-catch-up")
                .stream()
                .allMatch(name -> m11.toString().equals(api.get("/api/v1/schedules/" + name).body().path("lastFire")
                    .path("at").asString())));
            assertThat(fired("down-skip")).containsExactly(m1, m11);
            assertThat(fired("down-run-once")).containsExactly(m1, minute(m1, 10), m11);
            assertThat(fired("down-catch-up")).containsExactly(m1, minute(m1, 8), minute(m1, 9), minute(m1, 10), m11);
            assertThat(counts(api, "down-skip").path("misfiresSkipped").asLong()).isEqualTo(9);
            assertThat(counts(api, "down-run-once").path("misfiresSkipped").asLong()).isEqualTo(8);
            assertThat(counts(api, "down-catch-up").path("misfiresSkipped").asLong()).isEqualTo(6);
            assertThat(counts(api, "down-catch-up").path("fires").asLong()).isEqualTo(5);
            JsonNode next = api.get("/api/v1/schedules/down-skip").body().path("nextFireTimes");
            assertThat(next.get(0).asString()).isEqualTo(minute(m1, 12).toString());
        }
    }

    /** M{@code n}: M1 is the first fire time. */
    private static Instant minute(Instant m1, int n) {
        return m1.plus(Duration.ofMinutes(n - 1));
    }

    private static JsonNode counts(Api api, String name) {
        return api.get("/api/v1/schedules/" + name).body().path("counts");
    }

    private List<Instant> fired(String name) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url())) {
            JdbcClient jdbc = JdbcClient.create(new SingleConnectionDataSource(connection, true));
            String prefix = "schedule:" + name + ":";
            List<Instant> at = new ArrayList<>();
            jdbc.sql("SELECT idempotency_key FROM jobs WHERE idempotency_key LIKE ? ORDER BY idempotency_key")
                .param(prefix + "%")
                .query(String.class)
                .list()
                .forEach(key -> at.add(Instant.parse(key.substring(prefix.length()))));
            return at;
        }
    }

    private ConfigurableApplicationContext start(String... properties) {
        List<String> args = new ArrayList<>(List.of("--spring.datasource.url=" + url()));
        for (String property : properties) {
            args.add("--" + property);
        }
        return new SpringApplicationBuilder(SpindleApplication.class, TestHandlers.class, MutableClock.Config.class)
            .profiles("test")
            .run(args.toArray(String[]::new));
    }

    private String url() {
        return "jdbc:sqlite:" + dir.resolve("spindle.db").toAbsolutePath();
    }

    private static Api api(ConfigurableApplicationContext context) {
        return new Api(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
    }
}
