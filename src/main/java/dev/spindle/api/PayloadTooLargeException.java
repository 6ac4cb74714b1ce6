package dev.spindle.api;

/** The request body is over {@code spindle.api.max-body-size}. */
class PayloadTooLargeException extends RuntimeException {

    PayloadTooLargeException(long limit) {
        super("The request body is larger than the limit of " + limit + " bytes");
    }
}
