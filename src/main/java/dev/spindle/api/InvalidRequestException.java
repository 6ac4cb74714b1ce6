package dev.spindle.api;

/** A request whose parameters are wrong, answered with 400 and this message. */
class InvalidRequestException extends RuntimeException {

    InvalidRequestException(String message) {
        super(message);
    }
}
