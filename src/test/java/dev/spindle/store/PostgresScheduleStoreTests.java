package dev.spindle.store;

import javax.sql.DataSource;

import dev.spindle.TestPostgres;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The schedule store contract on PostgreSQL (the database of {@code SPINDLE_TEST_POSTGRES_URL}),
 * where the fire race is real: the two fires run in two transactions at once.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresScheduleStoreTests extends ScheduleStoreContractTests {

    private final DataSource dataSource = TestPostgres.dataSource();

    @Override
    DataSource dataSource() {
        return dataSource;
    }

    @Override
    int races() {
        return 100;
    }
}
