package dev.spindle.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.spindle.job.Job;
import dev.spindle.job.JobState;
import dev.spindle.workflow.Workflow;
import dev.spindle.workflow.WorkflowPage;
import dev.spindle.workflow.WorkflowQuery;
import tools.jackson.databind.JsonNode;

/**
 * Durable workflows. Their steps are jobs of the {@link JobStore}; what ends a step (a completion,
 * a reap, a cancel) settles its workflow in the same transaction: dependents released or
 * cancelled, a parent ended by its last child, the workflow ended by its last step.
 */
public interface WorkflowStore {

    /**
     * Inserts the workflow with its steps and their dependencies, all or none.
     *
     * @throws DuplicateIdempotencyKeyException when the idempotency key is already taken
     */
    void insertWorkflow(NewWorkflow workflow);

    Optional<Workflow> findWorkflow(String id);

    Optional<Workflow> findWorkflowByIdempotencyKey(String key);

    WorkflowPage listWorkflows(WorkflowQuery query);

    /**
     * A workflow's steps and how far it has got.
     *
     * @param steps its steps in the order given (children are not listed)
     * @param dependencies which step job waits for which
     * @param children how many children each step job added, by job id (absent: none)
     * @param counts its jobs (steps and children) by state
     */
    record WorkflowSteps(List<Job> steps, List<NewWorkflow.Dependency> dependencies, Map<String, Integer> children,
            Map<JobState, Integer> counts) {
    }

    WorkflowSteps workflowSteps(String workflowId);

    /** The results of the dependencies of step job {@code jobId} that succeeded, by step id. */
    Map<String, JsonNode> dependencyResults(String jobId);

    /**
     * The results of the children of the step {@code stepId} among the dependencies of step job
     * {@code jobId}, in the order they were added; a child that did not succeed gives a null node.
     */
    List<JsonNode> childResults(String jobId, String stepId);

    /**
     * Adds children to the RUNNING step job {@code parentId} under {@code fencingToken}; those it
     * already has (the same index, from an earlier attempt) are not added again.
     *
     * @return how many were added
     * @throws StepNotRunningException when the attempt no longer holds the step
     * @throws TooManyStepsException when the workflow would hold more than {@code maxSteps} jobs
     */
    int addChildren(String parentId, long fencingToken, List<NewJob> children, int maxSteps);

    /**
     * What a workflow cancel did.
     *
     * @param dequeued how many QUEUED jobs it cancelled
     * @param running its RUNNING jobs whose cancel was asked
     */
    record WorkflowCancel(Workflow workflow, int dequeued, List<String> running) {
    }

    /**
     * Cancels a RUNNING workflow: its waiting and queued jobs end CANCELLED at once, its running
     * ones are asked to cancel (they end CANCELLED whatever ends their attempt).
     *
     * @return what it did; empty when there is no such workflow or it is not RUNNING
     */
    Optional<WorkflowCancel> cancelWorkflow(String id, Instant now);

    /**
     * Puts the FAILED and CANCELLED jobs of an ended, unsuccessful workflow back: each to WAITING
     * while a dependency has not succeeded, else QUEUED; the workflow RUNNING again.
     *
     * @return the workflow as it now stands, or empty when there is none
     */
    Optional<Workflow> retryWorkflow(String id, Instant now);

    /** How many workflows are RUNNING. */
    long countOpenWorkflows();

    /** Deletes up to {@code limit} workflows that ended before {@code cutoff}, each with all its jobs. */
    int deleteWorkflowsFinishedBefore(Instant cutoff, int limit);
}
