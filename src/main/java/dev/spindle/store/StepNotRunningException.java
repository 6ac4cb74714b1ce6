package dev.spindle.store;

/** A step's attempt asked for something only a running attempt may do, but no longer holds the step. */
public class StepNotRunningException extends RuntimeException {

    public StepNotRunningException(String message) {
        super(message);
    }
}
