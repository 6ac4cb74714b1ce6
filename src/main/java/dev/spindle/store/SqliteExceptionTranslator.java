package dev.spindle.store;

import java.sql.SQLException;

import org.jspecify.annotations.Nullable;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.jdbc.support.SQLExceptionSubclassTranslator;
import org.springframework.jdbc.support.SQLExceptionTranslator;

/**
 * SQLite's result codes as Spring's data access exceptions (the driver sets no SQL state, and
 * Spring knows no SQLite error codes): a taken key is a {@link DuplicateKeyException}, any other
 * constraint a {@link DataIntegrityViolationException}, a full or failing disk a resource failure
 * (on a COMMIT too: {@link SqliteTransactionManager}).
 */
final class SqliteExceptionTranslator implements SQLExceptionTranslator {

    private final SQLExceptionTranslator fallback = new SQLExceptionSubclassTranslator();

    @Override
    public @Nullable DataAccessException translate(String task, @Nullable String sql, SQLException ex) {
        if (ex instanceof SQLiteException sqlite) {
            SQLiteErrorCode code = sqlite.getResultCode();
            String message = task + ": " + ex.getMessage();
            if (code == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE || code == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY) {
                return new DuplicateKeyException(message, ex);
            }
            if (code.name().startsWith("SQLITE_CONSTRAINT") || code.name().startsWith("SQLITE_TOOBIG")) {
                return new DataIntegrityViolationException(message, ex);
            }
            if (code.name().startsWith("SQLITE_BUSY") || code.name().startsWith("SQLITE_LOCKED")) {
                return new TransientDataAccessResourceException(message, ex);
            }
            if (storageFailure(sqlite)) {
                return new DataAccessResourceFailureException(message, ex);
            }
        }
        return fallback.translate(task, sql, ex);
    }

    /**
     * Whether the database file's storage failed (no space, read-only, an I/O error, cannot be
     * opened): the store cannot write until the cause is gone.
     */
    static boolean storageFailure(SQLiteException ex) {
        String code = ex.getResultCode().name();
        return code.startsWith("SQLITE_FULL") || code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_READONLY")
                || code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_CORRUPT");
    }
}
