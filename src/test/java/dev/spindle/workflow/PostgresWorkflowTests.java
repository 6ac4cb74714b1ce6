package dev.spindle.workflow;

import dev.spindle.SpindleTest;
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
        String url = System.getenv("SPINDLE_TEST_POSTGRES_URL");
        properties.add("spring.datasource.url", () -> url + (url.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA);
        properties.add("spring.datasource.username",
                () -> System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres"));
        properties.add("spring.datasource.password",
                () -> System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", ""));
        properties.add("spring.flyway.schemas", () -> SCHEMA);
    }
}
