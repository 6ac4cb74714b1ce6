package dev.spindle.job;

import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/** What a workflow step's {@link JobContext} reads and adds through its workflow. */
public interface WorkflowAccess {

    /** The results of the step's dependencies that succeeded, by step id. */
    Map<String, JsonNode> dependencyResults(Job step);

    /** The results of the children that dependency {@code stepId} of {@code step} added, in the order added. */
    List<JsonNode> childResults(Job step, String stepId);

    /**
     * Adds children to the running step, numbered from {@code from}: a child with a number the
     * step already has (added by an earlier attempt) is not added again.
     *
     * @return how many were added
     */
    int addChildren(Job step, int from, List<JobRequest> children);
}
