package dev.spindle.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.spindle.SpindleProcess;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * A schema of a test's own, emptied (dropped) at the start, on the PostgreSQL database named by
 * {@code SPINDLE_TEST_POSTGRES_URL}: the properties that point Spindle processes at it, and a
 * connection that reads what they store behind their backs.
 */
final class PostgresSchema implements AutoCloseable {

    final String name;

    final JdbcClient jdbc;

    private final String url;

    private final Connection connection;

    private PostgresSchema(String name, String url, Connection connection) {
        this.name = name;
        this.url = url;
        this.connection = connection;
        this.jdbc = JdbcClient.create(new SingleConnectionDataSource(connection, true));
    }

    static PostgresSchema fresh(String name) throws SQLException {
        String url = System.getenv("SPINDLE_TEST_POSTGRES_URL");
        Connection connection = DriverManager.getConnection(url, user(), password());
        PostgresSchema schema = new PostgresSchema(name, url, connection);
        schema.jdbc.sql("DROP SCHEMA IF EXISTS " + name + " CASCADE").update();
        return schema;
    }

    /** The properties that make a {@link SpindleProcess} store its jobs in this schema. */
    List<String> properties() {
        return List.of("spring.datasource.url=" + url + (url.contains("?") ? "&" : "?") + "currentSchema=" + name,
                "spring.datasource.username=" + user(), "spring.datasource.password=" + password(),
                "spring.flyway.schemas=" + name);
    }

    /** One row of the jobs table: state, attempt, fencing_token, instance, node, lease_until, started_at, error_code. */
    Map<String, Object> job(String id) {
        return jdbc.sql("SELECT state, attempt, fencing_token, instance, node, lease_until, started_at, error_code FROM "
                + name + ".jobs WHERE id = ?").param(id).query().singleRow();
    }

    /** Ids of the jobs RUNNING under the instance's leases. */
    List<String> runningUnder(String instance) {
        return jdbc.sql("SELECT id FROM " + name + ".jobs WHERE state = 'RUNNING' AND instance = ? ORDER BY id")
            .param(instance)
            .query(String.class)
            .list();
    }

    static Instant instant(Object timestamp) {
        return timestamp == null ? null : ((Timestamp) timestamp).toInstant();
    }

    private static String user() {
        return System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_USER", "postgres");
    }

    private static String password() {
        return System.getenv().getOrDefault("SPINDLE_TEST_POSTGRES_PASSWORD", "");
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
