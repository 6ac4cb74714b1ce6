package dev.spindle.workflow;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A workflow as stored.
 *
 * @param steps its steps and the children they added
 * @param openSteps of those, the ones that have not ended
 * @param submittedBy the authenticated caller that submitted it; null when the submission was not
 *        authenticated. Its steps and their children carry the same
 */
public record Workflow(
        String id,
        @Nullable String name,
        @Nullable String idempotencyKey,
        OnFailure onFailure,
        WorkflowState state,
        int steps,
        int openSteps,
        Instant createdAt,
        @Nullable String submittedBy,
        @Nullable Instant finishedAt) {
}
