package dev.spindle.job;

/** The job is in a state that does not allow the operation, such as cancelling a finished job. */
public class JobConflictException extends RuntimeException {

    public JobConflictException(String message) {
        super(message);
    }
}
