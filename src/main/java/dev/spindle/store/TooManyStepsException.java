package dev.spindle.store;

/** A workflow would hold more jobs than {@code spindle.workflows.max-steps} allows. */
public class TooManyStepsException extends RuntimeException {

    public TooManyStepsException(String message) {
        super(message);
    }
}
