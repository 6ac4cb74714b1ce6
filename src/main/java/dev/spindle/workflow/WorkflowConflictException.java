package dev.spindle.workflow;

/** The workflow is not in a state that allows what was asked (a cancel of an ended one, say). */
public class WorkflowConflictException extends RuntimeException {

    public WorkflowConflictException(String message) {
        super(message);
    }
}
