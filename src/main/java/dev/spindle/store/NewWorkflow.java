package dev.spindle.store;

import java.time.Instant;
import java.util.List;

import dev.spindle.workflow.OnFailure;
import org.jspecify.annotations.Nullable;

/**
 * A validated workflow, ready to insert with its steps in one transaction.
 *
 * @param submittedBy who submitted it; its steps carry the same
 * @param steps its steps as jobs ({@link NewJob#asStep}), in the order given
 * @param dependencies which step job waits for which
 */
public record NewWorkflow(
        String id,
        @Nullable String name,
        @Nullable String idempotencyKey,
        OnFailure onFailure,
        Instant createdAt,
        @Nullable String submittedBy,
        List<NewJob> steps,
        List<Dependency> dependencies) {

    /** {@code jobId} waits for {@code dependsOn} (both job ids). */
    public record Dependency(String jobId, String dependsOn) {
    }
}
