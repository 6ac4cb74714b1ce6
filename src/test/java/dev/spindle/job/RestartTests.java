package dev.spindle.job;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import dev.spindle.TestHandlers.CountingHandler;
import dev.spindle.TestHandlers.GateHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The embedded SQLite file keeps jobs across a stop; running jobs are re-queued or recovered. */
class RestartTests {

    @TempDir
    Path dir;

    @Test
    void queuedDelayedAndRunningJobsRunAfterARestart() throws SQLException {
        String running;
        List<String> queued = new ArrayList<>();
        String delayed;
        String crashed;
        try (ConfigurableApplicationContext first = start("spindle.pool.shutdown-grace=200ms")) {
            Api api = api(first);
            GateHandler gate = first.getBean(GateHandler.class);
            running = api.submit("{\"type\": \"gate\"}");
            await().until(() -> gate.started.contains(running));
            for (int i = 0; i < 3; i++) {
                queued.add(api.submit("{\"type\": \"counting\", \"priority\": " + i + "}"));
            }
            crashed = api.submit("{\"type\": \"counting\"}");
            delayed = api.submit("{\"type\": \"counting\", \"delay\": \"PT1S\"}");
            first.close();
            assertThat(gate.interrupted).containsExactly(running);
        }

        try (Connection connection = DriverManager.getConnection(url())) {
            JdbcClient jdbc = JdbcClient.create(new SingleConnectionDataSource(connection, true));
            Map<String, Object> gateRow = jdbc.sql("SELECT state, attempt FROM jobs WHERE id = ?").param(running).query().singleRow();
            assertThat(gateRow).containsEntry("state", "QUEUED").containsEntry("attempt", 0);
            assertThat(jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state = 'QUEUED'").query(Long.class).single()).isEqualTo(6);
            // as if a process had died while running this job
            jdbc.sql("UPDATE jobs SET state = 'RUNNING', attempt = 1, node = 'gone', instance = 'gone' WHERE id = ?").param(crashed).update();
        }

        try (ConfigurableApplicationContext second = start()) {
            Api api = api(second);
            second.getBean(GateHandler.class).open();

            assertThat(api.awaitTerminal(running).path("state").asString()).isEqualTo("SUCCEEDED");
            for (String id : queued) {
                assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
            }
            JsonNode recovered = api.awaitTerminal(crashed);
            assertThat(recovered.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(recovered.path("attempt").asInt()).isEqualTo(2);
            JsonNode late = api.awaitTerminal(delayed);
            assertThat(late.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(late.path("startedAt").asString()).isGreaterThanOrEqualTo(late.path("runAt").asString());
            CountingHandler counter = second.getBean(CountingHandler.class);
            assertThat(counter.runs.keySet()).containsExactlyInAnyOrder(queued.get(0), queued.get(1), queued.get(2), crashed, delayed);
            assertThat(counter.runs.values()).allSatisfy(runs -> assertThat(runs.get()).isEqualTo(1));
        }
    }

    @Test
    void runningJobThatFinishesWithinTheGraceIsNotInterrupted() throws SQLException {
        String id;
        try (ConfigurableApplicationContext context = start("spindle.pool.shutdown-grace=10s")) {
            Api api = api(context);
            id = api.submit("{\"type\": \"sleep\", \"payload\": {\"ms\": 500}}");
            await().until(() -> api.get("/api/v1/jobs/" + id).state().equals("RUNNING"));
        }
        try (Connection connection = DriverManager.getConnection(url())) {
            JdbcClient jdbc = JdbcClient.create(new SingleConnectionDataSource(connection, true));
            assertThat(jdbc.sql("SELECT state FROM jobs WHERE id = ?").param(id).query(String.class).single())
                .isEqualTo("SUCCEEDED");
        }
    }

    private ConfigurableApplicationContext start(String... properties) {
        List<String> args = new ArrayList<>(List.of("--spring.datasource.url=" + url(), "--spindle.pool.concurrency=1"));
        for (String property : properties) {
            args.add("--" + property);
        }
        return new SpringApplicationBuilder(SpindleApplication.class, TestHandlers.class).profiles("test")
            .run(args.toArray(String[]::new));
    }

    private String url() {
        return "jdbc:sqlite:" + dir.resolve("spindle.db").toAbsolutePath();
    }

    private static Api api(ConfigurableApplicationContext context) {
        return new Api(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
    }
}
