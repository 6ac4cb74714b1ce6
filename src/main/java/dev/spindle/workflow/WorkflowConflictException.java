package dev.spindle.workflow;

import dev.spindle.job.ConflictException;

/** The workflow is not in a state that allows what was asked (a cancel of an ended one, say). */
public class WorkflowConflictException extends ConflictException {

    public WorkflowConflictException(String message) {
        super("Workflow state conflict", message);
    }
}
