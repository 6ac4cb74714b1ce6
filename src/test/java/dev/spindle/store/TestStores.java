package dev.spindle.store;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/** Stores on empty, freshly migrated databases, for store-level tests. */
final class TestStores {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private static final AtomicLong SEQUENCE = new AtomicLong(System.currentTimeMillis() << 12);

    private TestStores() {
    }

    /** Migrates the database if it is not yet, empties it, and returns a store on it. */
    static JdbcJobStore emptyStore(DataSource dataSource) {
        return emptyStore(dataSource, dev.spindle.config.QueueProperties.none());
    }

    /** {@link #emptyStore(DataSource)} with queues configured as given. */
    static JdbcJobStore emptyStore(DataSource dataSource, dev.spindle.config.QueueProperties queues) {
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration/" + vendor(dataSource))
            .load()
            .migrate();
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.update("DELETE FROM job_dependencies");
        jdbc.update("DELETE FROM jobs");
        jdbc.update("DELETE FROM workflows");
        jdbc.update("DELETE FROM queues");
        jdbc.update("DELETE FROM schedules");
        jdbc.update("DELETE FROM job_chunks");
        return new JdbcJobStore(jdbc, new TransactionTemplate(new DataSourceTransactionManager(dataSource)), JSON,
                new StoreWrites(), queues);
    }

    /** The migration folder of the database, as Spring Boot's {@code {vendor}} names it. */
    static String vendor(DataSource dataSource) {
        try (var connection = dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
            return product.contains("postgres") ? "postgresql" : "sqlite";
        }
        catch (java.sql.SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** A private SQLite database file in WAL mode, as the application configures it, under target/. */
    static DataSource sqlite() {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "test-stores"));
            com.zaxxer.hikari.HikariDataSource hikari = new com.zaxxer.hikari.HikariDataSource();
            hikari.setJdbcUrl("jdbc:sqlite:" + dir.resolve("store-" + UUID.randomUUID() + ".db"));
            hikari.addDataSourceProperty("journal_mode", "WAL");
            hikari.addDataSourceProperty("synchronous", "NORMAL");
            hikari.addDataSourceProperty("busy_timeout", "10000");
            hikari.setMaximumPoolSize(4);
            return hikari;
        }
        catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /** UUID-shaped ids that sort in creation order, as UUIDv7 ids do. */
    static String nextId() {
        String hex = "%016x".formatted(SEQUENCE.incrementAndGet());
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-7" + hex.substring(12, 15) + "-8" + hex.substring(15)
                + "00-000000000000";
    }
}
