package dev.spindle.job;

/**
 * Why an attempt failed: a stable machine-readable code ({@code handler_error}, {@code timeout},
 * {@code cancelled}, …) and a human message.
 */
public record JobError(String code, String message) {

    public static final String HANDLER_ERROR = "handler_error";
    public static final String TIMEOUT = "timeout";
    public static final String CANCELLED = "cancelled";
    public static final String LEASE_EXPIRED = "lease_expired";
    /** Not the handler's doing: the worker pool or the store could not start or finish the attempt. */
    public static final String INTERNAL_ERROR = "internal_error";
    /** A workflow step that never ran: a step it depends on did not succeed. */
    public static final String DEPENDENCY_FAILED = "dependency_failed";
    /** A workflow step whose handler succeeded, but a child it added did not. */
    public static final String CHILD_FAILED = "child_failed";
}
