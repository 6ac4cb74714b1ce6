package dev.spindle.workflow;

import dev.spindle.SpindleTest;
import dev.spindle.TestPostgres;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The workflow scenarios on PostgreSQL, in a schema of their own. */
@SpindleTest
@EnabledIfEnvironmentVariable(named = "SPINDLE_TEST_POSTGRES_URL", matches = ".+",
        disabledReason = "SPINDLE_TEST_POSTGRES_URL names no PostgreSQL database")
class PostgresWorkflowTests extends WorkflowScenarios {

    private static final String SCHEMA = "spindle_workflow_tests";

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry properties) {
        TestPostgres.schema(properties, SCHEMA);
    }
}
