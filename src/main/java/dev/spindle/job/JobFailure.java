package dev.spindle.job;

/** Thrown by a handler to fail an attempt with a code of its choice, saying whether a retry can help. */
public class JobFailure extends Exception {

    private final String code;

    private final boolean retryable;

    public JobFailure(String code, String message, boolean retryable) {
        super(message);
        this.code = code;
        this.retryable = retryable;
    }

    public static JobFailure permanent(String code, String message) {
        return new JobFailure(code, message, false);
    }

    public static JobFailure retryable(String code, String message) {
        return new JobFailure(code, message, true);
    }

    public String code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }
}
