package dev.spindle.pool;

import java.time.Duration;

/**
 * Waits that an interrupt does not cut short, for shutdown steps that must finish. An interrupt
 * received while waiting is remembered and set again when the wait is over.
 */
final class Uninterruptibly {

    interface Step {

        void run() throws InterruptedException;
    }

    interface TimedWait {

        boolean await(Duration timeout) throws InterruptedException;
    }

    private Uninterruptibly() {
    }

    /** Waits up to {@code timeout} for the thread to end; false when it still runs. */
    static boolean join(Thread thread, Duration timeout) {
        return await(remaining -> thread.join(remaining.isZero() ? Duration.ofNanos(1) : remaining), timeout);
    }

    static void run(Step step) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    step.run();
                    return;
                }
                catch (InterruptedException ex) {
                    interrupted = true;
                }
            }
        }
        finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits up to {@code timeout} in all; returns what the wait returned, false when time ran out. */
    static boolean await(TimedWait wait, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return wait.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                }
                catch (InterruptedException ex) {
                    interrupted = true;
                }
            }
        }
        finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
