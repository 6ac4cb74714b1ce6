package dev.spindle.pool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the log about a job store outage once when it starts and once when it ends, however many
 * of the pool's claims, completions and heartbeats fail and retry meanwhile (each failure is at
 * DEBUG).
 */
final class StoreOutage {

    private static final Logger log = LoggerFactory.getLogger(StoreOutage.class);

    /** When the outage began (System.nanoTime), or 0 while the store answers. */
    private final AtomicLong since = new AtomicLong();

    /** A store call of {@code what} failed; it will be retried. */
    void failed(String what, RuntimeException ex) {
        long now = System.nanoTime();
        if (since.compareAndSet(0, now == 0 ? 1 : now)) {
            log.warn("The job store is failing ({} failed: {}); the worker pool retries every {} until it answers",
                    what, rootMessage(ex), Dispatcher.STORE_RETRY_DELAY);
        }
        else {
            log.debug("{} failed again", what, ex);
        }
    }

    /** A store call succeeded. */
    void succeeded() {
        long began = since.getAndSet(0);
        if (began != 0) {
            log.info("The job store answers again, after {}", Duration.ofNanos(System.nanoTime() - began).withNanos(0));
        }
    }

    boolean ongoing() {
        return since.get() != 0;
    }

    private static String rootMessage(Throwable ex) {
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }
}
