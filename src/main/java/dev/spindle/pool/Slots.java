package dev.spindle.pool;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The run slots of this node: {@code spindle.pool.concurrency} of them, one per running job, held
 * from the claim until the attempt's handler returns. An attempt that has ended waits for its
 * outcome to be stored without a slot, so the next claim shares a commit with the completions of the
 * previous batch instead of waiting for them; those outcomes are bounded too, by the concurrency
 * again: a node holds at most twice its concurrency RUNNING in the store, and a crash re-runs at
 * most that many. Closing wakes a waiting dispatcher without interrupting it (it may be inside a
 * JDBC call).
 */
final class Slots {

    private static final long RECHECK_NANOS = Duration.ofMillis(10).toNanos();

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition changed = lock.newCondition();

    private final int concurrency;

    /** Slots taken: claims under way and attempts whose handler has not returned. */
    private int running;

    /** Attempts that have ended and whose outcome is not stored yet. */
    private int storing;

    private boolean closed;

    Slots(int concurrency) {
        this.concurrency = concurrency;
    }

    /**
     * The dispatch loop's wait: until a slot is free, then takes up to {@code max} of them. While
     * outcomes wait to be stored and {@code writerFills} says the write that stores them will claim
     * for the freed slots in its own commit ({@link #tryAcquire}), those slots are left to it: taken
     * here one by one as handlers return, each would cost a claim and a commit of its own (measured:
     * a third of the embedded drain's CPU went to such claims of a few jobs each). Returns 0 once
     * closed.
     */
    int acquire(int max, BooleanSupplier writerFills) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (!closed) {
                int free = available();
                if (free > 0 && (storing == 0 || !writerFills.getAsBoolean())) {
                    int taken = Math.min(max, free);
                    running += taken;
                    return taken;
                }
                if (free == 0) {
                    changed.await();
                }
                else {
                    // what writerFills reads changes without a signal here: look again soon
                    changed.awaitNanos(RECHECK_NANOS);
                }
            }
            return 0;
        }
        finally {
            lock.unlock();
        }
    }

    /** Takes up to {@code max} free slots without waiting; 0 when none is free or the slots are closed. */
    int tryAcquire(int max) {
        lock.lock();
        try {
            int taken = closed ? 0 : Math.min(max, available());
            running += taken;
            return taken;
        }
        finally {
            lock.unlock();
        }
    }

    private int available() {
        return Math.max(0, Math.min(concurrency - running, 2 * concurrency - running - storing));
    }

    /** Gives back taken slots that found no job. */
    void release(int slots) {
        change(-slots, 0);
    }

    /** An attempt has ended: its slot is free, its outcome waits to be stored. */
    void ended() {
        change(-1, 1);
    }

    /** Outcomes were stored (or found their job taken over). */
    void stored(int outcomes) {
        change(0, -outcomes);
    }

    private void change(int runningBy, int storingBy) {
        if (runningBy == 0 && storingBy == 0) {
            return;
        }
        lock.lock();
        try {
            running += runningBy;
            storing += storingBy;
            changed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /** Waits until no slot is in use and every outcome is stored; false if the timeout passed first. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (running > 0 || storing > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeout} for the slots to close; true once they are. */
    boolean awaitClosed(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lockInterruptibly();
        try {
            while (!closed && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return closed;
        }
        finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /** Jobs running on this node: slots taken. */
    int running() {
        lock.lock();
        try {
            return running;
        }
        finally {
            lock.unlock();
        }
    }
}
