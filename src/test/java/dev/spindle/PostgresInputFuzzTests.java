package dev.spindle;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@link InputFuzzTests} on PostgreSQL (the database named by {@code SPINDLE_TEST_POSTGRES_URL},
 * a schema of its own), which refuses what SQLite takes: a NUL character in {@code text} or
 * {@code jsonb}. A third of the cases: the generator is the same.
 */
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresInputFuzzTests extends InputFuzzTests {

    static final String SCHEMA = "spindle_input_tests";

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry properties) {
        TestPostgres.schema(properties, SCHEMA);
    }

    @Override
    int cases() {
        return super.cases() / 3;
    }
}
