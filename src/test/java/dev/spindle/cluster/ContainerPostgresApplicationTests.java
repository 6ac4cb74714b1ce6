package dev.spindle.cluster;

import dev.spindle.Api;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application on a PostgreSQL container wired by {@code @ServiceConnection}, where Docker runs.
 * Its twins for machines without Docker are {@link PostgresClusterTests} and {@link ClusterProcessIT}.
 */
@Testcontainers(disabledWithoutDocker = true)
@SpindleTest
@Import(ContainerPostgresApplicationTests.Database.class)
class ContainerPostgresApplicationTests {

    @TestConfiguration(proxyBeanMethods = false)
    static class Database {

        @Bean
        @ServiceConnection
        PostgreSQLContainer postgres() {
            return new PostgreSQLContainer("postgres:15-alpine");
        }
    }

    @LocalServerPort
    int port;

    @Test
    void jobRunsOnPostgres() {
        Api api = new Api(port);

        String id = api.submit("{\"type\": \"noop\", \"payload\": {\"on\": \"postgres\"}}");

        assertThat(api.awaitTerminal(id).path("result").path("on").asString()).isEqualTo("postgres");
    }
}
