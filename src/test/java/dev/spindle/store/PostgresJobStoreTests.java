package dev.spindle.store;

import javax.sql.DataSource;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * The store contract on PostgreSQL, on the database named by {@code SPINDLE_TEST_POSTGRES_URL}
 * (with {@code SPINDLE_TEST_POSTGRES_USER}, default postgres, and {@code SPINDLE_TEST_POSTGRES_PASSWORD}).
 * {@code .ci/run} creates a fresh database and sets the variable; without it this class is skipped.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresJobStoreTests extends JobStoreContractTests {

    private final DataSource dataSource = new SimpleDriverDataSource(new org.postgresql.Driver(),
            System.getenv("SPINDLE_TEST_POSTGRES_URL"), System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres"),
            System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", ""));

    @Override
    DataSource dataSource() {
        return dataSource;
    }
}
