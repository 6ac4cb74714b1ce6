package dev.spindle.tcp;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The listener-wide budget of client data that connections hold while they read a command
 * ({@code spindle.tcp.max-buffered}): bulk arguments and lines longer than the read buffer, counted
 * as the bytes arrive, released when the command has run or the connection ends.
 */
final class RespBudget {

    private final long max;

    private final AtomicLong used = new AtomicLong();

    RespBudget(long max) {
        this.max = max;
    }

    /** Takes {@code bytes} from the budget, or nothing when that would exceed it. */
    boolean reserve(long bytes) {
        if (used.addAndGet(bytes) > max) {
            used.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** Bytes held now (the {@code spindle.tcp.buffered.bytes} gauge). */
    long used() {
        return used.get();
    }

    long max() {
        return max;
    }
}
