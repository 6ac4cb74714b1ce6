package dev.spindle.store;

import javax.sql.DataSource;

/** The schedule store contract on the embedded SQLite store, a fresh database file per test. */
class SqliteScheduleStoreTests extends ScheduleStoreContractTests {

    private final DataSource dataSource = TestStores.sqlite();

    @Override
    DataSource dataSource() {
        return dataSource;
    }

    @Override
    int races() {
        return 20;
    }
}
