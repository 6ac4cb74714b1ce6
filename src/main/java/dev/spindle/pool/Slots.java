package dev.spindle.pool;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The run slots of this node: {@code spindle.pool.concurrency} of them, one per running job, held
 * from the claim until the attempt's outcome is stored. Closing wakes a waiting dispatcher without
 * interrupting it (it may be inside a JDBC call).
 */
final class Slots {

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition changed = lock.newCondition();

    private final int concurrency;

    private int free;

    private boolean closed;

    Slots(int concurrency) {
        this.concurrency = concurrency;
        this.free = concurrency;
    }

    /** Waits until a slot is free and takes up to {@code max} of them. Returns 0 once closed. */
    int acquire(int max) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (!closed && free == 0) {
                changed.await();
            }
            if (closed) {
                return 0;
            }
            int taken = Math.min(max, free);
            free -= taken;
            return taken;
        }
        finally {
            lock.unlock();
        }
    }

    /** Gives back slots: attempts whose outcome is stored, or taken slots that found no job. */
    void release(int slots) {
        if (slots == 0) {
            return;
        }
        lock.lock();
        try {
            free += slots;
            changed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /** Waits until no slot is in use; false if the timeout passed first. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (free < concurrency) {
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

    int running() {
        lock.lock();
        try {
            return concurrency - free;
        }
        finally {
            lock.unlock();
        }
    }
}
