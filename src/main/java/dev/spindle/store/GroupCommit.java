package dev.spindle.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

import org.jspecify.annotations.Nullable;

/**
 * Group commit: concurrent callers' writes share one transaction. Each caller queues its items;
 * one caller at a time (the leader, holding the writer lock) writes everything queued so far, its
 * own items and those of callers that arrived while the previous group was being written. The
 * others park until the leader marks their items done and unparks them, or hands the lead on to
 * the first still waiting when it leaves. No thread of its own and no waiting for a batch to fill:
 * alone, a caller writes at once.
 *
 * <p>Followers never queue on the lock itself: with a lock convoy, every caller whose items were
 * already written had to take the lock once just to learn so, which stalled the next group behind
 * a chain of hand-offs (measured: most request threads parked on the lock, the database idle half
 * the time).
 *
 * <p>Each caller's items stay all-or-nothing: when a group fails, its callers' items are written
 * again one caller at a time, so a caller's bad write (a taken idempotency key) fails that caller only.
 *
 * @param <T> the item written
 */
final class GroupCommit<T> {

    private final class Pending {

        final List<T> items;

        final int weight;

        final Thread caller = Thread.currentThread();

        volatile boolean done;

        @Nullable RuntimeException failure;

        Pending(List<T> items) {
            this.items = items;
            this.weight = items.stream().mapToInt(GroupCommit.this.weight).sum();
        }
    }

    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();

    private final ReentrantLock writer = new ReentrantLock();

    private final Consumer<List<T>> write;

    private final int maxGroup;

    private final ToIntFunction<T> weight;

    /**
     * @param write writes items in one transaction, all or none
     * @param maxGroup most items in one group (a caller's items are never split)
     */
    GroupCommit(Consumer<List<T>> write, int maxGroup) {
        this(write, maxGroup, item -> 1);
    }

    /**
     * @param weight how much of {@code maxGroup} an item takes (the rows it writes, say)
     */
    GroupCommit(Consumer<List<T>> write, int maxGroup, ToIntFunction<T> weight) {
        this.write = write;
        this.maxGroup = maxGroup;
        this.weight = weight;
    }

    /** Writes the items, together with other callers' if any are waiting; returns once they are committed. */
    void write(List<T> items) {
        if (writer.isHeldByCurrentThread()) {
            // a write from inside a group's write would join (and report as committed) other
            // callers' items before the outer transaction commits
            throw new IllegalStateException("A group commit write cannot be nested in another");
        }
        Pending mine = new Pending(items);
        queue.add(mine);
        while (!mine.done) {
            if (writer.tryLock()) {
                try {
                    while (!mine.done) {
                        writeGroup();
                    }
                }
                finally {
                    writer.unlock();
                }
                // whoever queued while this group was written waits parked: hand the lead on
                Pending next = queue.peek();
                if (next != null) {
                    LockSupport.unpark(next.caller);
                }
            }
            else {
                // woken when the items are written, or to take the lead
                LockSupport.park(this);
            }
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
    }

    private void writeGroup() {
        List<Pending> group = new ArrayList<>();
        List<T> items = new ArrayList<>();
        int weighed = 0;
        Pending next;
        while ((next = queue.peek()) != null && (group.isEmpty() || weighed + next.weight <= maxGroup)) {
            queue.poll();
            group.add(next);
            items.addAll(next.items);
            weighed += next.weight;
        }
        try {
            write.accept(items);
        }
        catch (Error fatal) {
            // no caller may be left parked on a group that will never be marked done
            for (Pending pending : group) {
                pending.failure = new IllegalStateException("The group write failed: " + fatal, fatal);
            }
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
        for (Pending pending : group) {
            pending.done = true;
            if (pending.caller != Thread.currentThread()) {
                LockSupport.unpark(pending.caller);
            }
        }
    }
}
