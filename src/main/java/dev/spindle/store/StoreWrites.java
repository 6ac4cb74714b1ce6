package dev.spindle.store;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Component;

/**
 * Whether the store takes writes, as the last write found: a database that answers reads may
 * still refuse every write (a full disk, a filesystem turned read-only, an I/O error), which no
 * validation query shows. A write that always changes a row (a submission, the worker pool's
 * heartbeat every few seconds) clears it when it succeeds, so it clears by itself once the cause
 * is gone; a claim or completion that changes nothing commits even on a full disk and proves nothing.
 */
@Component
class StoreWrites {

    /** Since when, and why, writes fail; null while they succeed. */
    record Failure(Instant since, String cause) {
    }

    private final AtomicReference<@Nullable Failure> failure = new AtomicReference<>();

    void succeeded() {
        if (failure.get() != null) {
            failure.set(null);
        }
    }

    /** Counts only the store's own failures (no space, read-only, I/O, unreachable), not a refused row. */
    void failed(RuntimeException ex) {
        if (ex instanceof DataAccessResourceFailureException access && failure.get() == null) {
            failure.compareAndSet(null, new Failure(Instant.now(), access.getMostSpecificCause().toString()));
        }
    }

    @Nullable Failure failure() {
        return failure.get();
    }
}
