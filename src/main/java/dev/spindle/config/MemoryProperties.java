package dev.spindle.config;

import java.time.Duration;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The memory monitor and the load shedding it drives.
 *
 * @param shedLoad whether memory pressure refuses new jobs (503 / {@code -BUSY}) and takes the node
 *        out of readiness; when false the pressure is only reported
 * @param pressureThreshold the fraction of a tenured heap pool's maximum that, still in use after a
 *        collection, puts the node under pressure
 * @param recoveryThreshold the fraction it must fall below, after a collection, to clear the pressure
 *        (lower than the threshold, so the node does not flap at the boundary)
 * @param retryAfter the {@code Retry-After} a refused submission is given
 * @param sampleInterval how often heap, non-heap and allocation are sampled for {@code /actuator/memory}
 * @param samples how many samples are kept (the oldest is overwritten)
 * @param recheckInterval the least time between two full collections Spindle asks for
 *        ({@code System.gc()}): to settle whether a partial collection that left the tenured pool
 *        above the threshold left live data or garbage, and, under pressure, so that a node out of
 *        traffic sees its memory freed
 */
@Validated
@ConfigurationProperties("spindle.memory")
public record MemoryProperties(
        @DefaultValue("true") boolean shedLoad,
        @DefaultValue("0.90") @DecimalMin("0.05") @DecimalMax("0.99") double pressureThreshold,
        @DefaultValue("0.80") @DecimalMin("0.01") @DecimalMax("0.98") double recoveryThreshold,
        @DefaultValue("5s") Duration retryAfter,
        @DefaultValue("5s") Duration sampleInterval,
        @DefaultValue("120") @Min(1) @Max(100_000) int samples,
        @DefaultValue("30s") Duration recheckInterval) {

    @AssertTrue(message = "recovery-threshold must be below pressure-threshold")
    boolean isRecoveryBelowThreshold() {
        return recoveryThreshold < pressureThreshold;
    }

    @AssertTrue(message = "sample-interval must be at least 100ms")
    boolean isSampleIntervalSane() {
        return sampleInterval.toMillis() >= 100;
    }
}
