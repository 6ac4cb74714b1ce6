package dev.spindle.store;

import java.time.Duration;
import java.time.Instant;

import dev.spindle.job.Job;
import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** A validated submission with every default applied, ready to insert. */
public record NewJob(
        String id,
        String type,
        JsonNode payload,
        int priority,
        int maxAttempts,
        Duration timeout,
        Instant runAt,
        @Nullable String idempotencyKey,
        Instant createdAt) {

    /** The job as it stands once inserted. */
    public Job toJob() {
        return new Job(id, type, payload, JobState.QUEUED, priority, maxAttempts, timeout, runAt, idempotencyKey,
                null, null, null, 0, 0, createdAt, null, null, null);
    }
}
