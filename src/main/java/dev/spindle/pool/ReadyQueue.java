package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.spindle.store.QueuedJob;
import org.jspecify.annotations.Nullable;

/**
 * This node's view of its queued jobs, in dispatch order, together with the two limits around it:
 * free run slots (the concurrency limit) and backlog admission ({@code max-queued}). One lock
 * guards all of it, so "a job is ready and a slot is free" is a single condition to wait on, and
 * closing the queue wakes the dispatcher without interrupting it (it may be inside a JDBC call).
 *
 * <p>With a shared store only the slots are used ({@link #acquireSlots}); the store orders the jobs.
 *
 * <p>Removal is lazy: {@link #byId} is the truth, heap entries no longer in it are skipped.
 */
final class ReadyQueue {

    static final Comparator<QueuedJob> DISPATCH_ORDER = Comparator.comparingInt(QueuedJob::priority)
        .reversed()
        .thenComparing(QueuedJob::runAt)
        .thenComparing(QueuedJob::id);

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition changed = lock.newCondition();

    private final PriorityQueue<QueuedJob> ready = new PriorityQueue<>(DISPATCH_ORDER);

    private final PriorityQueue<QueuedJob> delayed = new PriorityQueue<>(Comparator.comparing(QueuedJob::runAt));

    private final Map<String, QueuedJob> byId = new HashMap<>();

    private final Clock clock;

    private final int concurrency;

    private final int maxQueued;

    private int free;

    private int reserved;

    private boolean closed;

    ReadyQueue(Clock clock, int concurrency, int maxQueued) {
        this.clock = clock;
        this.concurrency = concurrency;
        this.maxQueued = maxQueued;
        this.free = concurrency;
    }

    /** Reserves room for {@code n} more queued jobs; false when the backlog is full. */
    boolean tryReserve(int n) {
        lock.lock();
        try {
            if (byId.size() + reserved + n > maxQueued) {
                return false;
            }
            reserved += n;
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    void cancelReservation(int n) {
        lock.lock();
        try {
            reserved -= n;
        }
        finally {
            lock.unlock();
        }
    }

    /** Adds jobs (ids already present are ignored), using up {@code fromReservation} reserved places. */
    void add(Collection<QueuedJob> jobs, int fromReservation) {
        lock.lock();
        try {
            reserved -= fromReservation;
            Instant now = clock.instant();
            for (QueuedJob job : jobs) {
                if (byId.putIfAbsent(job.id(), job) == null) {
                    (job.runAt().isAfter(now) ? delayed : ready).add(job);
                }
            }
            changed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /** Forgets a queued job (it was cancelled); true when it was here. */
    boolean remove(String id) {
        lock.lock();
        try {
            return byId.remove(id) != null;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a job is due and a run slot is free, then takes up to {@code max} due jobs in
     * dispatch order, one slot each. Returns an empty list once closed.
     */
    List<QueuedJob> take(int max) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (!closed) {
                promoteDue(clock.instant());
                if (free > 0 && hasReady()) {
                    List<QueuedJob> taken = new ArrayList<>(Math.min(max, free));
                    while (taken.size() < max && free > 0 && hasReady()) {
                        QueuedJob job = ready.poll();
                        byId.remove(job.id());
                        taken.add(job);
                        free--;
                    }
                    return taken;
                }
                QueuedJob next = free > 0 ? nextDelayed() : null;
                if (next == null) {
                    changed.await();
                }
                else {
                    changed.awaitNanos(Math.max(1, Duration.between(clock.instant(), next.runAt()).toNanos()));
                }
            }
            return List.of();
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a run slot is free and takes up to {@code max} of them, for a dispatcher that
     * claims from a shared store instead of this queue. Returns 0 once closed.
     */
    int acquireSlots(int max) throws InterruptedException {
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

    /** Gives back run slots: jobs finished, or taken jobs that were not claimed. */
    void release(int slots) {
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

    /** Queued jobs, ready and delayed. */
    int size() {
        lock.lock();
        try {
            return byId.size();
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

    private void promoteDue(Instant now) {
        QueuedJob head;
        while ((head = delayed.peek()) != null && !head.runAt().isAfter(now)) {
            delayed.poll();
            if (byId.get(head.id()) == head) {
                ready.add(head);
            }
        }
    }

    private boolean hasReady() {
        QueuedJob head;
        while ((head = ready.peek()) != null && byId.get(head.id()) != head) {
            ready.poll();
        }
        return head != null;
    }

    private @Nullable QueuedJob nextDelayed() {
        QueuedJob head;
        while ((head = delayed.peek()) != null && byId.get(head.id()) != head) {
            delayed.poll();
        }
        return head;
    }
}
