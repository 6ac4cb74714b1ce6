package dev.spindle.job;

import java.time.Duration;

/** Spindle cannot take more work now (backlog full, shutting down); the client should retry after {@link #retryAfter()}. */
public class OverloadedException extends RuntimeException {

    private final Duration retryAfter;

    public OverloadedException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
