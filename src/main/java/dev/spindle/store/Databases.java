package dev.spindle.store;

import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The database-specific pieces of the store's configuration. */
@Configuration(proxyBeanMethods = false)
class Databases {

    /**
     * The migrations of the store's database. Boot's {@code {vendor}} placeholder would need a
     * connection while the application starts, and the start must not depend on the database
     * being up.
     */
    @Bean
    FlywayConfigurationCustomizer migrationLocations() {
        return configuration -> configuration
            .locations("classpath:db/migration/" + Dialect.of(configuration.getDataSource()).migrations());
    }

    /** Readies the data source: the embedded store's file and pragmas, PostgreSQL's timeouts. */
    @Bean
    static StoreDataSource storeDataSource() {
        return new StoreDataSource();
    }
}
