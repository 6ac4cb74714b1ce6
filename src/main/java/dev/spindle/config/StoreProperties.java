package dev.spindle.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The job store's housekeeping.
 *
 * @param retention how long SUCCEEDED, FAILED and CANCELLED jobs are kept after they finish
 * @param pruneInterval how often jobs past their retention are deleted
 * @param sqlite the embedded store's settings (read where its data source is prepared)
 */
@ConfigurationProperties("spindle.store")
public record StoreProperties(
        @DefaultValue("7d") Duration retention,
        @DefaultValue("1m") Duration pruneInterval,
        @DefaultValue Sqlite sqlite) {

    /**
     * @param synchronous {@code FULL}: every commit is on disk before it returns (an accepted job
     *        survives a power cut); {@code NORMAL}: commits survive a killed process, the last ones
     *        may be lost in a power cut
     */
    public record Sqlite(@DefaultValue("FULL") String synchronous) {
    }
}
