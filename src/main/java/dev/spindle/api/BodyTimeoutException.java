package dev.spindle.api;

import java.time.Duration;

/** The request body did not arrive within {@code spindle.api.body-timeout}. */
class BodyTimeoutException extends RuntimeException {

    BodyTimeoutException(Duration timeout) {
        super("The request body did not arrive within " + timeout.toMillis() + " ms (spindle.api.body-timeout)");
    }
}
