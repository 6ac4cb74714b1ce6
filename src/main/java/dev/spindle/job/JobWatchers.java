package dev.spindle.job;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

/**
 * Wakes long-polling readers when a job reaches a terminal state. Whoever makes a job terminal
 * calls {@link #finished}; readers {@link #watch} before re-reading the store so no wake-up is missed.
 */
@Component
public class JobWatchers {

    private final ConcurrentHashMap<String, Set<CompletableFuture<Void>>> watchers = new ConcurrentHashMap<>();

    /** A future completed when the job finishes (or the service stops); {@link #unwatch} it when done. */
    CompletableFuture<Void> watch(String id) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        watchers.computeIfAbsent(id, key -> ConcurrentHashMap.newKeySet()).add(future);
        return future;
    }

    void unwatch(String id, CompletableFuture<Void> future) {
        watchers.computeIfPresent(id, (key, set) -> {
            set.remove(future);
            return set.isEmpty() ? null : set;
        });
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
