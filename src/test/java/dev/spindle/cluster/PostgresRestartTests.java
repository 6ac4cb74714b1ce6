package dev.spindle.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import dev.spindle.TestHandlers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/** PostgreSQL restarted under a running instance: it recovers without a restart of its own and loses nothing. */
class PostgresRestartTests {

    @TempDir
    Path dir;

    @Test
    void instanceRidesOutADatabaseRestart() throws Exception {
        Path bin = PrivatePostgres.binaries().orElse(null);
        assumeThat(bin).as("PostgreSQL server binaries (initdb, pg_ctl) on this machine").isNotNull();
        try (PrivatePostgres postgres = PrivatePostgres.start(bin, dir);
                ConfigurableApplicationContext node = new SpringApplicationBuilder(SpindleApplication.class,
                        TestHandlers.class).profiles("test")
                    .run("--spring.datasource.url=" + postgres.url(), "--spring.datasource.username=postgres",
                            "--spring.datasource.hikari.connection-timeout=1000", "--spindle.pool.concurrency=8",
                            "--spindle.cluster.heartbeat-interval=300ms", "--spindle.cluster.lease-ttl=10s")) {
            Api api = new Api(Integer.parseInt(node.getEnvironment().getProperty("local.server.port")));
            JdbcClient jdbc = node.getBean(JdbcClient.class);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                api.post("/api/v1/jobs/batch", "{\"jobs\": [" + String.join(",",
                        java.util.Collections.nCopies(30, "{\"type\": \"sleep\", \"payload\": {\"ms\": 50}}")) + "]}")
                    .body()
                    .path("jobs")
                    .valueStream()
                    .forEach(job -> ids.add(job.path("id").asString()));
            }
            assertThat(ids).hasSize(300);
            await().until(() -> succeeded(jdbc) >= 50);

            postgres.restart();

            await().atMost(Duration.ofMinutes(1)).ignoreExceptions().until(() -> succeeded(jdbc) == 300);
            assertThat(jdbc.sql("SELECT COUNT(*) FROM jobs").query(Long.class).single()).isEqualTo(300);
            String id = api.submit("{\"type\": \"noop\"}");
            assertThat(api.awaitTerminal(id).path("state").asString()).isEqualTo("SUCCEEDED");
        }
    }

    private static long succeeded(JdbcClient jdbc) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE state = 'SUCCEEDED'").query(Long.class).single();
    }
}
