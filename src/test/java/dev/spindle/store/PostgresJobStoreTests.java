package dev.spindle.store;

import javax.sql.DataSource;

import dev.spindle.TestPostgres;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The store contract on PostgreSQL, on the database named by {@code SPINDLE_TEST_POSTGRES_URL}
 * (with {@code SPINDLE_TEST_POSTGRES_USER}, default postgres, and {@code SPINDLE_TEST_POSTGRES_PASSWORD}).
 * {@code .ci/run} creates a fresh database and sets the variable; without it this class is skipped.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresJobStoreTests extends JobStoreContractTests {

    private final DataSource dataSource = TestPostgres.dataSource();

    @Override
    DataSource dataSource() {
        return dataSource;
    }
}
