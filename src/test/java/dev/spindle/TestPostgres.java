package dev.spindle;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The PostgreSQL database of {@code SPINDLE_TEST_POSTGRES_URL} (with {@code SPINDLE_TEST_POSTGRES_USER},
 * default postgres, and {@code SPINDLE_TEST_POSTGRES_PASSWORD}) for tests: a data source on it, and
 * the properties that put a test's Spring context on a schema of its own there.
 */
public final class TestPostgres {

    private TestPostgres() {
    }

    public static DataSource dataSource() {
        return new SimpleDriverDataSource(new org.postgresql.Driver(), System.getenv("SPINDLE_TEST_POSTGRES_URL"),
                user(), password());
    }

    /** For a {@code @DynamicPropertySource}: the context's store is schema {@code schema} of the database. */
    public static void schema(DynamicPropertyRegistry properties, String schema) {
        String url = System.getenv("SPINDLE_TEST_POSTGRES_URL");
        properties.add("spring.datasource.url", () -> url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        properties.add("spring.datasource.username", TestPostgres::user);
        properties.add("spring.datasource.password", TestPostgres::password);
        properties.add("spring.flyway.schemas", () -> schema);
    }

    private static String user() {
        return System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres");
    }

    private static String password() {
        return System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", "");
    }
}
