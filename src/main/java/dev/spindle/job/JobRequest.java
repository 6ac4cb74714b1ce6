package dev.spindle.job;

import java.time.Duration;
import java.time.Instant;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A submission, the same over REST and TCP. Absent fields take the configured defaults.
 * {@code runAt} and {@code delay} both delay the start; at most one may be given. {@code queue}
 * names the queue ({@code default} when absent); {@code concurrencyKey} what its per-key limit and
 * fair turns count the job under.
 */
public record JobRequest(
        @NotBlank @Size(max = 100) @Nullable String type,
        @Nullable JsonNode payload,
        @Min(0) @Max(9) @Nullable Integer priority,
        @Min(1) @Max(100) @Nullable Integer maxAttempts,
        @Nullable Duration timeout,
        @Nullable Instant runAt,
        @Nullable Duration delay,
        @Size(min = 1, max = 255) @Nullable String idempotencyKey,
        @Nullable String queue,
        @Size(min = 1, max = 255) @Nullable String concurrencyKey) {

    public static final int DEFAULT_PRIORITY = 5;

    public static JobRequest of(String type, JsonNode payload) {
        return new JobRequest(type, payload, null, null, null, null, null, null, null, null);
    }

    public JobRequest withIdempotencyKey(@Nullable String key) {
        return new JobRequest(type, payload, priority, maxAttempts, timeout, runAt, delay, key, queue, concurrencyKey);
    }
}
