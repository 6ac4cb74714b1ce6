package dev.spindle.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.jdbc.support.SQLExceptionTranslator;

/**
 * The few things the two databases do differently; every statement of the store is the same SQL
 * on both otherwise. Told from the JDBC URL, so that nothing needs a connection at start.
 */
sealed interface Dialect {

    /** PostgreSQL: many nodes share it, claims skip rows other nodes hold, timestamps are timestamptz. */
    Dialect POSTGRES = new Postgres();

    /** SQLite: one process owns the file, one writer at a time, instants are epoch microseconds. */
    Dialect SQLITE = new Sqlite();

    static Dialect of(@Nullable DataSource dataSource) {
        String product = product(dataSource);
        if (product.contains("postgres")) {
            return POSTGRES;
        }
        if (product.contains("sqlite")) {
            return SQLITE;
        }
        throw new IllegalStateException("The job store runs on SQLite or PostgreSQL, not on " + product);
    }

    private static String product(@Nullable DataSource dataSource) {
        if (dataSource == null) {
            throw new IllegalStateException("No data source for the job store");
        }
        if (dataSource instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null) {
            return hikari.getJdbcUrl().toLowerCase(Locale.ROOT);
        }
        try (Connection connection = dataSource.getConnection()) {
            return connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Cannot tell which database the store uses", ex);
        }
    }

    /** The folder of this database's Flyway migrations under {@code db/migration}. */
    String migrations();

    /** Whether several processes may use the store at once. */
    boolean shared();

    /** Whether every write must take one path: the database allows one writer at a time. */
    boolean singleWriter();

    /**
     * What follows a subquery choosing the rows a multi-row write changes: skip rows another
     * transaction holds (other nodes' claims, this node's completions), so that such writes never
     * wait on each other and never deadlock; nothing where writes take turns.
     */
    String skipLocked();

    /** What follows a read of rows the transaction goes on to change: lock them now; nothing where writes take turns. */
    String forUpdate();

    /**
     * The claim's source of rows: the jobs table, walked on the claim index. SQLite, which keeps no
     * statistics unless told to, otherwise picks the (state, id) index and sorts every queued row.
     */
    String claimSource();

    /** An instant as a statement parameter. */
    Object instant(Instant instant);

    /** The JDBC type of {@link #instant(Instant)}, for batches. */
    int instantType();

    /** The instant in a column, as {@link #instant(Instant)} stored it. */
    @Nullable Instant instant(ResultSet rs, int column) throws SQLException;

    default @Nullable Instant instant(ResultSet rs, String column) throws SQLException {
        return instant(rs, rs.findColumn(column));
    }

    /** Tells the other nodes, when the transaction commits; nothing where there are none. */
    void notify(JdbcTemplate jdbc, String channel, @Nullable String payload);

    /** How the driver's errors become Spring's, where Spring's own translation does not know the database. */
    @Nullable SQLExceptionTranslator exceptionTranslator();

    /** The store's own transaction manager: failures (a failed COMMIT too) translated as {@link #exceptionTranslator()} says. */
    default JdbcTransactionManager transactionManager(DataSource dataSource) {
        JdbcTransactionManager transactions = new JdbcTransactionManager(dataSource);
        SQLExceptionTranslator translator = exceptionTranslator();
        if (translator != null) {
            transactions.setExceptionTranslator(translator);
        }
        return transactions;
    }

    record Postgres() implements Dialect {

        @Override
        public String migrations() {
            return "postgresql";
        }

        @Override
        public boolean shared() {
            return true;
        }

        @Override
        public boolean singleWriter() {
            return false;
        }

        @Override
        public String skipLocked() {
            return " FOR UPDATE SKIP LOCKED";
        }

        @Override
        public String forUpdate() {
            return " FOR UPDATE";
        }

        @Override
        public String claimSource() {
            return "jobs";
        }

        @Override
        public Object instant(Instant instant) {
            return instant.atOffset(ZoneOffset.UTC);
        }

        @Override
        public int instantType() {
            return Types.TIMESTAMP_WITH_TIMEZONE;
        }

        @Override
        public @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
            OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
            return value == null ? null : value.toInstant();
        }

        @Override
        public @Nullable SQLExceptionTranslator exceptionTranslator() {
            return null;
        }

        @Override
        public void notify(JdbcTemplate jdbc, String channel, @Nullable String payload) {
            if (payload == null) {
                jdbc.execute("NOTIFY " + channel);
            }
            else {
                jdbc.queryForRowSet("SELECT pg_notify(?, ?)", channel, payload);
            }
        }
    }

    record Sqlite() implements Dialect {

        @Override
        public String migrations() {
            return "sqlite";
        }

        @Override
        public boolean shared() {
            return false;
        }

        @Override
        public boolean singleWriter() {
            return true;
        }

        @Override
        public String skipLocked() {
            return "";
        }

        @Override
        public String forUpdate() {
            return "";
        }

        @Override
        public String claimSource() {
            return "jobs INDEXED BY jobs_ready";
        }

        @Override
        public Object instant(Instant instant) {
            return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
        }

        @Override
        public int instantType() {
            return Types.BIGINT;
        }

        @Override
        public @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
            long micros = rs.getLong(column);
            return rs.wasNull() ? null : Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
        }

        @Override
        public SQLExceptionTranslator exceptionTranslator() {
            return new SqliteExceptionTranslator();
        }

        @Override
        public JdbcTransactionManager transactionManager(DataSource dataSource) {
            return new SqliteTransactionManager(dataSource);
        }

        @Override
        public void notify(JdbcTemplate jdbc, String channel, @Nullable String payload) {
            // one process: it woke its own dispatcher already
        }
    }
}
