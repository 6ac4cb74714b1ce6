package dev.spindle.config;

import java.time.Duration;

import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Defaults and bounds for submitted jobs, and the retry backoff.
 *
 * @param defaultMaxAttempts attempts when a submission names none
 * @param defaultTimeout per-attempt timeout when a submission names none
 * @param maxTimeout the longest timeout a submission may ask for
 * @param maxDelay the latest start a submission may ask for, as a {@code delay} or a {@code runAt}
 *        from now; at most {@link #MAX_DELAY_LIMIT}
 * @param retryInitialBackoff delay before the second attempt (before jitter)
 * @param retryMultiplier growth of the delay per attempt
 * @param retryMaxBackoff cap of the delay
 */
@Validated
@ConfigurationProperties("spindle.jobs")
public record JobProperties(
        @DefaultValue("3") @Min(1) @Max(100) int defaultMaxAttempts,
        @DefaultValue("30s") Duration defaultTimeout,
        @DefaultValue("24h") Duration maxTimeout,
        @DefaultValue("365d") Duration maxDelay,
        @DefaultValue("1s") Duration retryInitialBackoff,
        @DefaultValue("2.0") @DecimalMin("1.0") double retryMultiplier,
        @DefaultValue("10m") Duration retryMaxBackoff) {

    /** The furthest any instant in a submission may lie from now (about 100 years), either way. */
    public static final Duration MAX_DELAY_LIMIT = Duration.ofDays(36_525);

    public JobProperties {
        if (maxTimeout.isNegative() || maxTimeout.isZero() || maxTimeout.compareTo(MAX_DELAY_LIMIT) > 0) {
            throw new IllegalArgumentException("spindle.jobs.max-timeout must be more than 0 and at most " + MAX_DELAY_LIMIT);
        }
        if (maxDelay.isNegative() || maxDelay.compareTo(MAX_DELAY_LIMIT) > 0) {
            throw new IllegalArgumentException("spindle.jobs.max-delay must be from 0 to " + MAX_DELAY_LIMIT);
        }
    }
}
