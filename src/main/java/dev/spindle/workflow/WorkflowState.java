package dev.spindle.workflow;

/**
 * Where a workflow is: RUNNING until every step (and child) has ended, then SUCCEEDED when all
 * succeeded, else FAILED; CANCELLED when it was cancelled.
 */
public enum WorkflowState {
    RUNNING, SUCCEEDED, FAILED, CANCELLED
}
