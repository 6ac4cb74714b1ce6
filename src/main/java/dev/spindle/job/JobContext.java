package dev.spindle.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** What a handler knows about the attempt it runs. */
public interface JobContext {

    /** The MDC key under which the lines a job logs on its thread carry its id. */
    String MDC_JOB_ID = "jobId";

    String jobId();

    JsonNode payload();

    /** The key the client submitted the job with, if any. */
    @Nullable String idempotencyKey();

    /** 1 for the first attempt. */
    int attempt();

    /** Grows with every claim of this job, so a downstream can refuse writes from an older run. */
    long fencingToken();

    /** When the attempt times out; the thread is interrupted then. */
    Instant deadline();

    /** Reports progress from 0 to 1; shown as {@code progress} on the job. */
    void progress(double fraction);

    /** The workflow this job is a step (or a step's child) of; null outside a workflow. */
    @Nullable String workflowId();

    /** This step's id in its workflow; null for a child and outside a workflow. */
    @Nullable String stepId();

    /**
     * The results of the steps this step depends on, by step id: how a pipeline passes each result
     * on. A dependency that did not succeed (under {@code onFailure: continue}) has no entry. Empty
     * outside a workflow.
     */
    Map<String, JsonNode> dependencyResults();

    /**
     * The results of the children that dependency {@code stepId} added while it ran, in the order
     * they were added (a fan-in); a child that did not succeed gives a null node.
     */
    List<JsonNode> childResults(String stepId);

    /**
     * Adds children to this step (a fan-out): jobs that run beside it, validated as submissions
     * are; the step ends only once it and all its children have ended, SUCCEEDED when they all
     * succeeded. Children are numbered in the order added over the attempt: a retried attempt
     * that adds the same children again adds nothing twice.
     *
     * @return how many were added
     * @throws IllegalStateException when this job is not a workflow step
     * @throws InvalidJobException when a child is not valid (none of this call's is added)
     */
    int addChildren(List<JobRequest> children);

    /**
     * This attempt's output: bytes or NDJSON lines, stored in chunks as they are written and served
     * at {@code GET /api/v1/jobs/{id}/output}. What the handler logs on its thread is kept beside
     * it, at {@code …/log}.
     */
    JobOutput output();
}
