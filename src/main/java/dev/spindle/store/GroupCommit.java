package dev.spindle.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * Group commit: concurrent callers' writes share one transaction. Each caller queues its items and
 * takes the writer lock; whoever holds it writes everything queued so far, its own items and those
 * of callers that arrived while the previous group was being written. No thread of its own and no
 * waiting for a batch to fill: alone, a caller writes at once.
 *
 * <p>Each caller's items stay all-or-nothing: when a group fails, its callers' items are written
 * again one caller at a time, so a caller's bad write (a taken idempotency key) fails that caller only.
 *
 * @param <T> the item written
 */
final class GroupCommit<T> {

    private final class Pending {

        final List<T> items;

        boolean done;

        @Nullable RuntimeException failure;

        Pending(List<T> items) {
            this.items = items;
        }
    }

    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

    private final ReentrantLock writer = new ReentrantLock();

    private final Consumer<List<T>> write;

    private final int maxGroup;

    /**
     * @param write writes items in one transaction, all or none
     * @param maxGroup most items in one group (a caller's items are never split)
     */
    GroupCommit(Consumer<List<T>> write, int maxGroup) {
        this.write = write;
        this.maxGroup = maxGroup;
    }

    /** Writes the items, together with other callers' if any are waiting; returns once they are committed. */
    void write(List<T> items) {
        Pending mine = new Pending(items);
        queue.add(mine);
        writer.lock();
        try {
            while (!mine.done) {
                writeGroup();
            }
        }
        finally {
            writer.unlock();
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
    }

    private void writeGroup() {
        List<Pending> group = new ArrayList<>();
        List<T> items = new ArrayList<>();
        Pending next;
        while ((next = queue.peek()) != null && (group.isEmpty() || items.size() + next.items.size() <= maxGroup)) {
            queue.poll();
            group.add(next);
            items.addAll(next.items);
        }
        try {
            write.accept(items);
        }
        catch (RuntimeException groupFailure) {
            if (group.size() == 1) {
                group.getFirst().failure = groupFailure;
            }
            else {
                for (Pending pending : group) {
                    try {
                        write.accept(pending.items);
                    }
                    catch (RuntimeException ex) {
                        pending.failure = ex;
                    }
                }
            }
        }
        group.forEach(pending -> pending.done = true);
    }
}
