package dev.spindle.job;

/**
 * What was asked does not fit the state of a job, a workflow or a schedule (a cancel of a
 * finished job, say). REST answers 409 with {@link #title()}.
 */
public abstract class ConflictException extends RuntimeException {

    private final String title;

    protected ConflictException(String title, String message) {
        super(message);
        this.title = title;
    }

    /** The problem's title, such as {@code Job state conflict}. */
    public String title() {
        return title;
    }
}
