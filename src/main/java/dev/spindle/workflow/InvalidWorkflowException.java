package dev.spindle.workflow;

import java.util.List;

import dev.spindle.job.InvalidInputException;

/** A workflow submission that cannot be accepted as it is; nothing of it was stored. */
public class InvalidWorkflowException extends InvalidInputException {

    public InvalidWorkflowException(List<String> errors) {
        super(errors);
    }
}
