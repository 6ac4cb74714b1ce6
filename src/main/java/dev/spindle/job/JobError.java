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
}
