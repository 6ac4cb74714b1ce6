package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import dev.spindle.job.JobRequest;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * The job a schedule submits at each fire time: a submission's fields without the ones the schedule
 * sets (when it runs and its idempotency key). Absent fields take the configured defaults when it
 * fires. The payload is a map so that configuration ({@code spindle.schedules.<name>.job.payload.*})
 * binds it as JSON does.
 */
public record ScheduledJob(
        @Nullable String type,
        @Nullable Map<String, Object> payload,
        @Nullable String queue,
        @Nullable String concurrencyKey,
        @Nullable Integer priority,
        @Nullable Integer maxAttempts,
        @Nullable Duration timeout) {

    /** The submission of this job for one fire time. */
    JobRequest request(JsonMapper json, Instant runAt, String idempotencyKey) {
        return new JobRequest(type, payload == null ? null : json.valueToTree(payload), priority, maxAttempts, timeout,
                runAt, null, idempotencyKey, queue, concurrencyKey);
    }
}
