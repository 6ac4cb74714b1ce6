package dev.spindle.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The job store's housekeeping.
 *
 * @param retention how long SUCCEEDED, FAILED and CANCELLED jobs are kept after they finish
 * @param pruneInterval how often jobs past their retention are deleted
 */
@ConfigurationProperties("spindle.store")
public record StoreProperties(
        @DefaultValue("7d") Duration retention,
        @DefaultValue("1m") Duration pruneInterval) {
}
