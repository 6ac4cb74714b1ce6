package dev.spindle.workflow;

import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * A workflow submission, the same over REST and TCP.
 *
 * @param onFailure {@code cancel_dependents} (the default) or {@code continue}: see {@link OnFailure}
 */
public record WorkflowRequest(
        @Nullable String name,
        @Nullable String idempotencyKey,
        @Nullable List<StepRequest> steps,
        @Nullable String onFailure) {
}
