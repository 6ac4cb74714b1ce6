package dev.spindle.job;

import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import dev.spindle.config.ApiProperties;

import org.springframework.stereotype.Component;

/**
 * Wakes long-polling readers when a job (or a workflow: ids never collide) reaches a terminal state. Whoever makes a job terminal
 * calls {@link #finished}; readers {@link #watch} before re-reading the store so no wake-up is missed.
 *
 * <p>At most {@code spindle.api.max-waiting} readers wait at once (REST {@code ?wait=} and RESP
 * {@code WAIT} together), so a flood of long-polls cannot hold every connection and thread.
 */
@Component
public class JobWatchers {

    /** A refused long-poll: waiters end within the wait they asked for, so a second later is a fair guess. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final ConcurrentHashMap<String, Set<CompletableFuture<Void>>> watchers = new ConcurrentHashMap<>();

    private final int maxWaiting;

    private final Semaphore waiting;

    JobWatchers(ApiProperties properties) {
        this.maxWaiting = properties.maxWaiting();
        this.waiting = new Semaphore(maxWaiting);
    }

    /**
     * A future completed when the job finishes (or the service stops); {@link #unwatch} it when done.
     *
     * @throws OverloadedException when {@code max-waiting} readers wait already
     */
    public CompletableFuture<Void> watch(String id) {
        if (!waiting.tryAcquire()) {
            throw new OverloadedException("Too many long-polls wait already (spindle.api.max-waiting, " + maxWaiting
                    + "); retry later or read the job without waiting", RETRY_AFTER);
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        watchers.computeIfAbsent(id, key -> ConcurrentHashMap.newKeySet()).add(future);
        return future;
    }

    public void unwatch(String id, CompletableFuture<Void> future) {
        watchers.computeIfPresent(id, (key, set) -> {
            set.remove(future);
            return set.isEmpty() ? null : set;
        });
        waiting.release();
    }

    /** Long-polls waiting now. */
    public int waiting() {
        return maxWaiting - waiting.availablePermits();
    }

    public void finished(Collection<String> ids) {
        for (String id : ids) {
            Set<CompletableFuture<Void>> set = watchers.remove(id);
            if (set != null) {
                set.forEach(future -> future.complete(null));
            }
        }
    }

    /** Releases every waiter, as at shutdown. */
    void releaseAll() {
        finished(Set.copyOf(watchers.keySet()));
    }
}
