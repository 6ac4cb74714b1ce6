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
    static JobStore emptyStore(DataSource dataSource) {
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration/common", "classpath:db/migration/" + vendor(dataSource))
            .load()
            .migrate();
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.update("DELETE FROM jobs");
        return new JdbcJobStore(jdbc, new TransactionTemplate(new DataSourceTransactionManager(dataSource)), JSON);
    }

    /** The migration folder of the database, as Spring Boot's {@code {vendor}} names it. */
    static String vendor(DataSource dataSource) {
        try (var connection = dataSource.getConnection()) {
            String product = connection.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT);
            return product.contains("postgres") ? "postgresql" : "h2";
        }
        catch (java.sql.SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** A private in-memory H2 database. */
    static DataSource h2() {
        return new SimpleDriverDataSource(new org.h2.Driver(),
                "jdbc:h2:mem:spindle_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1", "sa", "");
    }

    /** UUID-shaped ids that sort in creation order, as UUIDv7 ids do. */
    static String nextId() {
        String hex = "%016x".formatted(SEQUENCE.incrementAndGet());
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-7" + hex.substring(12, 15) + "-8" + hex.substring(15)
                + "00-000000000000";
    }
}
