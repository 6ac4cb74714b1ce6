package dev.spindle.workflow;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.spindle.job.JobError;
import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A workflow as the API shows it: its state, its jobs counted by state, each step, and the results
 * of the steps nothing depends on (its outcome).
 *
 * @param submittedBy see {@link Workflow#submittedBy()}
 */
public record WorkflowView(
        String id,
        @Nullable String name,
        @Nullable String idempotencyKey,
        OnFailure onFailure,
        WorkflowState state,
        Instant createdAt,
        @Nullable String submittedBy,
        @Nullable Instant finishedAt,
        int jobs,
        Map<JobState, Integer> counts,
        List<Step> steps,
        Map<String, JsonNode> results) {

    /**
     * @param children how many children the step added while it ran
     */
    public record Step(String id, String jobId, String type, JobState state, List<String> dependsOn, int children,
            @Nullable JobError error) {
    }
}
