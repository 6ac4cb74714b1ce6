package dev.spindle.store;

import javax.sql.DataSource;

import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * The schedule store contract on a PostgreSQL container, where Docker runs. Its twin for machines without
 * Docker is {@link PostgresScheduleStoreTests}, on an external database.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerPostgresScheduleStoreTests extends ScheduleStoreContractTests {

    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:15-alpine");

    @Override
    DataSource dataSource() {
        return new SimpleDriverDataSource(new org.postgresql.Driver(), POSTGRES.getJdbcUrl(), POSTGRES.getUsername(),
                POSTGRES.getPassword());
    }

    @Override
    int races() {
        return 100;
    }
}
