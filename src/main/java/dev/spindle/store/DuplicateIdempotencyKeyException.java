package dev.spindle.store;

/** An insert met a job that already holds one of its idempotency keys; nothing of the insert was stored. */
public class DuplicateIdempotencyKeyException extends RuntimeException {

    public DuplicateIdempotencyKeyException(Throwable cause) {
        super("A job with the same idempotency key already exists", cause);
    }
}
