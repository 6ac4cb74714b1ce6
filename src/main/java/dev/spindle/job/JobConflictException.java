package dev.spindle.job;

/** The job is in a state that does not allow the operation, such as cancelling a finished job. */
public class JobConflictException extends ConflictException {

    public JobConflictException(String message) {
        super("Job state conflict", message);
    }
}
