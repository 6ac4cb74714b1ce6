package dev.spindle.job;

/**
 * Nothing of that kind has that name or id: a job, a workflow, a queue, a schedule. REST answers
 * 404 with {@link #title()}.
 */
public abstract class NotFoundException extends RuntimeException {

    private final String title;

    protected NotFoundException(String title, String message) {
        super(message);
        this.title = title;
    }

    /** The problem's title, such as {@code Job not found}. */
    public String title() {
        return title;
    }
}
