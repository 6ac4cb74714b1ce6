package dev.spindle.store;

import javax.sql.DataSource;

/** The store contract on the embedded H2 database. */
class H2JobStoreTests extends JobStoreContractTests {

    private final DataSource dataSource = TestStores.h2();

    @Override
    DataSource dataSource() {
        return dataSource;
    }
}
