package dev.spindle.output;

import dev.spindle.SpindleTest;
import dev.spindle.TestPostgres;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/** The output contract on PostgreSQL (a schema of its own in {@code SPINDLE_TEST_POSTGRES_URL}'s database). */
@SpindleTest
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
@TestPropertySource(properties = { OutputContractTests.PROPERTIES_CHUNKS, OutputContractTests.PROPERTIES_CAP,
        OutputContractTests.PROPERTIES_LOG, OutputContractTests.PROPERTIES_FLUSH })
class PostgresOutputTests extends OutputContractTests {

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry properties) {
        TestPostgres.schema(properties, "spindle_output_tests");
    }
}
