package dev.spindle.downstream;

/**
 * A call stopped because its job was cancelled or timed out (the thread was interrupted): not the
 * downstream's fault, so the circuit breaker ignores it (it is in the default
 * {@code ignore-exceptions}) and Retry does not retry it.
 */
public class CallAbandoned extends Exception {

    CallAbandoned(Exception cause) {
        super("The call was abandoned: its job was cancelled or timed out", cause);
    }
}
