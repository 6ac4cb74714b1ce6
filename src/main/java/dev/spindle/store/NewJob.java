package dev.spindle.store;

import java.time.Duration;
import java.time.Instant;

import dev.spindle.job.Job;
import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A validated submission with every default applied, ready to insert.
 *
 * @param concurrencyKey null for none
 * @param submittedBy who submitted it (see {@link Job#submittedBy()})
 * @param workflowId the workflow it is a step or a child of
 * @param stepId its step id; null for a child and a job outside a workflow
 * @param parentId for a child, the job of the step that adds it
 * @param seq a step's place in its workflow, a child's among its parent's children (from 0)
 * @param waitingOn how many dependencies it waits for: WAITING when more than 0, else QUEUED
 */
public record NewJob(
        String id,
        String type,
        String queue,
        @Nullable String concurrencyKey,
        JsonNode payload,
        int priority,
        int maxAttempts,
        Duration timeout,
        Instant runAt,
        @Nullable String idempotencyKey,
        Instant createdAt,
        @Nullable String submittedBy,
        @Nullable String workflowId,
        @Nullable String stepId,
        @Nullable String parentId,
        @Nullable Integer seq,
        int waitingOn) {

    /** A job outside any workflow. */
    public NewJob(String id, String type, String queue, @Nullable String concurrencyKey, JsonNode payload, int priority,
            int maxAttempts, Duration timeout, Instant runAt, @Nullable String idempotencyKey, Instant createdAt,
            @Nullable String submittedBy) {
        this(id, type, queue, concurrencyKey, payload, priority, maxAttempts, timeout, runAt, idempotencyKey, createdAt, submittedBy,
                null, null, null, null, 0);
    }

    /** This job as step {@code step}, the {@code seq}th of workflow {@code workflow}, waiting for {@code dependencies} others. */
    public NewJob asStep(String workflow, String step, int seq, int dependencies) {
        return new NewJob(id, type, queue, concurrencyKey, payload, priority, maxAttempts, timeout, runAt, null, createdAt, submittedBy,
                workflow, step, null, seq, dependencies);
    }

    /** This job as child {@code index} of {@code parent}, a step of {@code workflow}. */
    public NewJob asChild(String workflow, String parent, int index) {
        return new NewJob(id, type, queue, concurrencyKey, payload, priority, maxAttempts, timeout, runAt, null, createdAt, submittedBy,
                workflow, null, parent, index, 0);
    }

    public JobState state() {
        return waitingOn > 0 ? JobState.WAITING : JobState.QUEUED;
    }

    /** The job as it stands once inserted. */
    public Job toJob() {
        return new Job(id, type, queue, concurrencyKey, payload, state(), priority, maxAttempts, timeout, runAt, idempotencyKey, null, null,
                null, 0, 0, createdAt, submittedBy, null, null, null, workflowId, stepId, parentId);
    }
}
