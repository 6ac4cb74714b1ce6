package dev.spindle.job;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A job as stored: what was asked for, where it is in its life, and what came of it.
 *
 * @param attempt how many attempts have started (0 while it has never run)
 * @param fencingToken grows with every claim of the job; see {@link JobContext#fencingToken()}
 */
public record Job(
        String id,
        String type,
        JsonNode payload,
        JobState state,
        int priority,
        int maxAttempts,
        Duration timeout,
        Instant runAt,
        @Nullable String idempotencyKey,
        @Nullable JsonNode result,
        @Nullable JobError error,
        @Nullable Double progress,
        int attempt,
        long fencingToken,
        Instant createdAt,
        @Nullable Instant startedAt,
        @Nullable Instant finishedAt,
        @Nullable String node) {
}
