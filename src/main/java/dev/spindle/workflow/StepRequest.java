package dev.spindle.workflow;

import java.time.Duration;
import java.util.List;

import dev.spindle.job.JobRequest;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One step of a submitted workflow: a job, named {@code id} within the workflow, that runs once
 * every step it {@code dependsOn} has ended.
 */
public record StepRequest(
        @Nullable String id,
        @Nullable String type,
        @Nullable JsonNode payload,
        @Nullable List<String> dependsOn,
        @Nullable Integer priority,
        @Nullable Integer maxAttempts,
        @Nullable Duration timeout,
        @Nullable String queue,
        @Nullable String concurrencyKey) {

    /** The step as a job submission (validated as any other). */
    JobRequest job() {
        return new JobRequest(type, payload, priority, maxAttempts, timeout, null, null, null, queue, concurrencyKey);
    }

    List<String> dependencies() {
        return dependsOn == null ? List.of() : dependsOn;
    }
}
