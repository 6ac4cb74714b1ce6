package dev.spindle.store;

import javax.sql.DataSource;

import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.DefaultTransactionStatus;

/**
 * The store's transactions on SQLite: failures translated as {@link SqliteExceptionTranslator}
 * says, and a COMMIT that failed on a full or failing disk reported as that failure. SQLite has
 * already rolled such a transaction back itself, so Spring's rollback after the failed commit
 * finds none; that is not a second failure that would hide the first (and turn a 503 into a 500).
 */
final class SqliteTransactionManager extends JdbcTransactionManager {

    SqliteTransactionManager(DataSource dataSource) {
        super(dataSource);
        setExceptionTranslator(new SqliteExceptionTranslator());
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        try {
            super.doRollback(status);
        }
        catch (TransactionSystemException ex) {
            if (!(ex.getCause() instanceof SQLiteException sqlite && sqlite.getResultCode() == SQLiteErrorCode.SQLITE_ERROR
                    && String.valueOf(sqlite.getMessage()).contains("no transaction is active"))) {
                throw ex;
            }
        }
    }
}
