package dev.spindle.security;

import java.time.Duration;

import org.springframework.security.core.AuthenticationException;

/** The client's address failed to authenticate too often; it is not tried again until {@link #retryAfter()}. */
public class TooManyFailuresException extends AuthenticationException {

    private final Duration retryAfter;

    TooManyFailuresException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
