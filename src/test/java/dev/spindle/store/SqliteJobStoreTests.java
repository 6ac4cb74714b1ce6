package dev.spindle.store;

import javax.sql.DataSource;

/** The store contract on the embedded SQLite store, a fresh database file per test. */
class SqliteJobStoreTests extends JobStoreContractTests {

    private final DataSource dataSource = TestStores.sqlite();

    @Override
    DataSource dataSource() {
        return dataSource;
    }
}
