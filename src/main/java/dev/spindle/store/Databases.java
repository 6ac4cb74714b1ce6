package dev.spindle.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Which database the store runs on, told from the JDBC URL so that nothing needs a connection at start. */
@Configuration(proxyBeanMethods = false)
class Databases {

    static boolean isPostgres(@Nullable DataSource dataSource) {
        if (dataSource == null) {
            return false;
        }
        if (dataSource instanceof HikariDataSource hikari && hikari.getJdbcUrl() != null) {
            return hikari.getJdbcUrl().startsWith("jdbc:postgresql:");
        }
        try (Connection connection = dataSource.getConnection()) {
            return connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("postgres");
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Cannot tell which database the store uses", ex);
        }
    }

    /**
     * Migrations common to both databases, then the database's own. Boot's {@code {vendor}}
     * placeholder would need a connection while the application starts, and the start must not
     * depend on the database being up.
     */
    @Bean
    FlywayConfigurationCustomizer migrationLocations() {
        return configuration -> configuration.locations("classpath:db/migration/common",
                "classpath:db/migration/" + (isPostgres(configuration.getDataSource()) ? "postgresql" : "h2"));
    }
}
