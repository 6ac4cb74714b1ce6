package dev.spindle.job;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A job as stored: what was asked for, where it is in its life, and what came of it.
 *
 * @param queue the queue it runs in ({@code default} unless it named one)
 * @param concurrencyKey what the queue's per-key limit and fair turns count it under; null for none
 * @param attempt how many attempts have started (0 while it has never run)
 * @param fencingToken grows with every claim of the job; see {@link JobContext#fencingToken()}
 * @param submittedBy the authenticated caller that submitted it (an API key's name, a JWT's subject);
 *        for a workflow's step or child, the workflow's; for a schedule's job, the schedule's. Null
 *        when the submission was not authenticated (or the schedule comes from configuration)
 * @param workflowId the workflow the job is a step (or a step's child) of
 * @param stepId its step's id in that workflow; null for a child
 * @param parentId for a child, the job of the step that added it
 */
public record Job(
        String id,
        String type,
        String queue,
        @Nullable String concurrencyKey,
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
        @Nullable String submittedBy,
        @Nullable Instant startedAt,
        @Nullable Instant finishedAt,
        @Nullable String node,
        @Nullable String workflowId,
        @Nullable String stepId,
        @Nullable String parentId) {
}
