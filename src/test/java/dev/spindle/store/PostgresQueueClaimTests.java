package dev.spindle.store;

import javax.sql.DataSource;

import dev.spindle.TestPostgres;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The queue claim contract on PostgreSQL (the database of {@code SPINDLE_TEST_POSTGRES_URL}),
 * where the claim race is real: the two claims run in two transactions at once.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresQueueClaimTests extends QueueClaimContractTests {

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
