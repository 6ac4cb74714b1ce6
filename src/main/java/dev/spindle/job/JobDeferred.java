package dev.spindle.job;

import java.time.Duration;

/**
 * Thrown by a handler when its attempt could not begin for a reason outside the job, such as an
 * open circuit breaker in front of the service it calls: the job goes back to QUEUED to run after
 * {@link #delay()}, the attempt does not count, and {@link #code()} says what held it back.
 */
public class JobDeferred extends Exception {

    private final String code;

    private final Duration delay;

    public JobDeferred(String code, String message, Duration delay) {
        super(message, null, false, false);
        this.code = code;
        this.delay = delay;
    }

    public String code() {
        return code;
    }

    public Duration delay() {
        return delay;
    }
}
