package dev.spindle.store;

import javax.sql.DataSource;

/** The workflow store contract on the embedded SQLite store, a fresh database file per test. */
class SqliteWorkflowStoreTests extends WorkflowStoreContractTests {

    private final DataSource dataSource = TestStores.sqlite();

    @Override
    DataSource dataSource() {
        return dataSource;
    }

    @Override
    int races() {
        return 50;
    }
}
