package dev.spindle.store;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;

import dev.spindle.Api;
import dev.spindle.SpindleApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the service starts when its database is not what it expects. */
class StoreStartupTests {

    @TempDir
    Path dir;

    @Test
    void unreachableDatabaseLeavesTheServiceUpButNotReady() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SpindleApplication.class)
            .profiles("test")
            .run("--spring.datasource.url=jdbc:postgresql://127.0.0.1:" + closedPort + "/spindle",
                    "--spring.datasource.hikari.connection-timeout=500")) {
            Api api = new Api(Integer.parseInt(context.getEnvironment().getProperty("local.server.port")));
            Api management = new Api(Integer.parseInt(context.getEnvironment().getProperty("local.management.port")));

            assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
            assertThat(management.get("/actuator/health/readiness").status()).isEqualTo(503);
            Api.Response submit = api.post("/api/v1/jobs", "{\"type\": \"noop\"}");
            assertThat(submit.status()).isEqualTo(503);
            assertThat(submit.header("Retry-After")).isNotNull();
            assertThat(submit.body().path("detail").asString()).contains("job store");
            assertThat(api.get("/api/v1/jobs/01890000-0000-7000-8000-000000000000").status()).isEqualTo(503);
        }
    }

    @Test
    void schemaNewerThanTheCodeIsRefusedAtStart() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("spindle.db").toAbsolutePath();
        new SpringApplicationBuilder(SpindleApplication.class).profiles("test").run("--spring.datasource.url=" + url).close();
        try (Connection connection = DriverManager.getConnection(url)) {
            connection.createStatement().execute("""
                    INSERT INTO "flyway_schema_history" ("installed_rank", "version", "description", "type", "script",
                        "checksum", "installed_by", "execution_time", "success")
                    VALUES (99, '99', 'from the future', 'SQL', 'V99__from_the_future.sql', 0, 'sa', 1, TRUE)""");
        }

        assertThatThrownBy(() -> new SpringApplicationBuilder(SpindleApplication.class).profiles("test")
            .run("--spring.datasource.url=" + url)
            .close()).rootCause()
            .hasMessageContaining("schema is at version 99")
            .hasMessageContaining("newer than this Spindle");
    }
}
