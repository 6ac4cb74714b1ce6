package dev.spindle.job;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether submissions are taken, and how many are in hand. Closing refuses new ones at once and
 * waits (bounded) for those in hand to be answered, so that a stop closes the ports only once
 * intake has drained: until then they stay open and a new submission is told 503 / {@code -BUSY}
 * instead of finding its connection refused. Entering and leaving take no lock.
 */
final class IntakeGate {

    /** Set in {@link #state} while the gate is closed; the low bits count submissions in hand. */
    private static final int CLOSED = 1 << 30;

    private final AtomicInteger state = new AtomicInteger(CLOSED);

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition drained = lock.newCondition();

    /** Takes a submission in hand; false (and nothing to leave) while the gate is closed. */
    boolean enter() {
        while (true) {
            int current = state.get();
            if ((current & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** A submission taken by {@link #enter()} has been answered. */
    void leave() {
        if (state.decrementAndGet() == CLOSED) {
            lock.lock();
            try {
                drained.signalAll();
            }
            finally {
                lock.unlock();
            }
        }
    }

    void open() {
        state.updateAndGet(current -> current & ~CLOSED);
    }

    boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /** Refuses new submissions from now on. */
    void close() {
        state.updateAndGet(current -> current | CLOSED);
    }

    /**
     * Waits until the gate is closed and no submission is in hand, up to {@code timeout}; false if
     * some were still in hand then.
     */
    boolean awaitDrained(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (state.get() != CLOSED) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = drained.awaitNanos(nanos);
            }
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** Submissions in hand. */
    int inHand() {
        return state.get() & ~CLOSED;
    }
}
