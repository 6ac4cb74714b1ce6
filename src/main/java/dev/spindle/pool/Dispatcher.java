package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.spindle.job.Job;
import dev.spindle.store.Claim;
import dev.spindle.store.Claimed;
import dev.spindle.store.JobStore;
import dev.spindle.store.Lease;
import org.jspecify.annotations.Nullable;

/**
 * The dispatch loop's source of jobs, the same for both stores: with free slots, claim the next
 * due jobs from the store in dispatch order, a batch at a time (on PostgreSQL skipping rows other
 * nodes are claiming); with nothing due, sleep until woken (a submission on this node, a
 * notification from another one), until the next delayed job is due, or for the poll interval.
 *
 * <p>Also the backlog admission: the QUEUED count, read from the store at start and every
 * heartbeat and kept current in between with this node's own submissions and claims. With one
 * node it is exact; with several, an estimate between heartbeats.
 */
final class Dispatcher {

    static final Duration STORE_RETRY_DELAY = Duration.ofSeconds(1);

    private final JobStore store;

    private final Slots slots;

    private final Clock clock;

    private final Supplier<Lease> lease;

    private final Duration pollInterval;

    private final int claimBatch;

    private final long maxQueued;

    /** True while this node should take no new work from a shared queue (memory pressure). */
    private final BooleanSupplier holdBack;

    private final StoreOutage outage;

    private final AtomicLong queued = new AtomicLong();

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition woken = lock.newCondition();

    private boolean pending;

    /**
     * Whether more jobs may be due than the last claim took: as the claim said (false once nothing
     * more was due), and true when jobs are submitted, re-queued or woken for. Only the refills look at it (a
     * completion write claims nothing when nothing is due); the loop's own claims do not.
     */
    private volatile boolean mayBeDue = true;

    /** When the idle loop looks again by itself; a submission due later needs no wake-up. */
    private volatile Instant wakeAt = Instant.MIN;

    /**
     * @param lease the lease a claim takes now (its expiry moves with the clock)
     */
    Dispatcher(JobStore store, Slots slots, Clock clock, Supplier<Lease> lease, Duration pollInterval, int claimBatch,
            long maxQueued, BooleanSupplier holdBack, StoreOutage outage) {
        this.store = store;
        this.slots = slots;
        this.clock = clock;
        this.lease = lease;
        this.pollInterval = pollInterval;
        this.claimBatch = claimBatch;
        this.maxQueued = maxQueued;
        this.holdBack = holdBack;
        this.outage = outage;
    }

    /**
     * Waits for a free slot and due jobs, and claims up to the claim batch of them, one slot each,
     * in dispatch order. Returns an empty list once the slots are closed.
     */
    List<Job> next() throws InterruptedException {
        while (true) {
            if (holdBack.getAsBoolean()) {
                // the other nodes take the queue's jobs meanwhile; the jobs running here go on
                if (slots.awaitClosed(pollInterval)) {
                    return List.of();
                }
                continue;
            }
            int free = slots.acquire(claimBatch, this::refilling);
            if (free == 0) {
                return List.of();
            }
            Claimed claimed;
            Instant now = clock.instant();
            try {
                claimed = store.claim(new Claim(free, lease.get(), now));
                outage.succeeded();
            }
            catch (RuntimeException ex) {
                slots.release(free);
                outage.failed("claiming jobs", ex);
                pause(STORE_RETRY_DELAY);
                continue;
            }
            took(free, claimed);
            if (!claimed.jobs().isEmpty()) {
                return claimed.jobs();
            }
            awaitWork(now);
        }
    }

    /**
     * A claim to ride along with the next completion write: the slots free now (the attempts being
     * completed freed them), while jobs are queued; null when there is nothing to fill, the node
     * holds back, or the slots are closed.
     */
    @Nullable Claim refill() {
        if (!refilling()) {
            return null;
        }
        int free = slots.tryAcquire(claimBatch);
        return free == 0 ? null : new Claim(free, lease.get(), clock.instant());
    }

    /** Whether completion writes claim for the slots they free: while jobs may be due and the node takes work. */
    private boolean refilling() {
        return mayBeDue && queued.get() > 0 && !holdBack.getAsBoolean();
    }

    /** What a refill claimed (nothing if its write failed): the slots it did not fill go back. */
    void refilled(Claim claim, Claimed claimed) {
        took(claim.max(), claimed);
    }

    /**
     * A claim for {@code slots} slots took {@code claimed}: the rest go back, the backlog shrinks.
     * Completion writes go on claiming while the store says more may be due, a queue's limits
     * holding some back included: the completions of that queue's jobs are what free its slots.
     */
    private void took(int slots, Claimed claimed) {
        mayBeDue = claimed.more();
        this.slots.release(slots - claimed.jobs().size());
        queued.addAndGet(-claimed.jobs().size());
    }

    private void awaitWork(Instant now) throws InterruptedException {
        Duration wait = pollInterval;
        // published before the read, so a submission that commits meanwhile is judged against it
        wakeAt = now.plus(wait);
        try {
            Instant next = store.nextRunAt(now).orElse(null);
            if (next != null && next.isBefore(now.plus(wait))) {
                wait = Duration.between(now, next);
            }
        }
        catch (RuntimeException ex) {
            // the claim will fail too and say so; poll meanwhile
        }
        wakeAt = Durations.plus(now, wait);
        lock.lock();
        try {
            long nanos = Durations.nanos(wait);
            while (!pending && nanos > 0) {
                nanos = woken.awaitNanos(nanos);
            }
            pending = false;
        }
        finally {
            lock.unlock();
        }
    }

    /** Jobs may be due that the loop does not know of: submitted here or elsewhere, or re-queued. */
    void wake() {
        mayBeDue = true;
        lock.lock();
        try {
            pending = true;
            woken.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /** Reserves backlog room for jobs about to be stored; false when the backlog is full. */
    boolean tryReserve(int n) {
        while (true) {
            long current = queued.get();
            if (current + n > maxQueued) {
                return false;
            }
            if (queued.compareAndSet(current, current + n)) {
                return true;
            }
        }
    }

    /** Gives back reserved room that was not used. */
    void cancelReservation(int n) {
        queued.addAndGet(-n);
    }

    /**
     * {@code stored} jobs were stored QUEUED, using up {@code reserved} reserved places; the
     * earliest may start at {@code earliest}. The loop is woken unless it looks again by then
     * anyway: a delayed submission costs no claim.
     */
    void enqueued(int stored, int reserved, Instant earliest) {
        queued.addAndGet(stored - reserved);
        if (earliest.isBefore(wakeAt) || !earliest.isAfter(clock.instant())) {
            wake();
        }
    }

    /** Queued jobs were cancelled. */
    void dequeued(int jobs) {
        queued.addAndGet(-jobs);
    }

    /** Jobs went back to QUEUED after an attempt. */
    void requeued(int jobs) {
        queued.addAndGet(jobs);
        wake();
    }

    /** Re-reads the backlog from the store. */
    void refresh() {
        queued.set(store.countQueued());
    }

    /** Queued jobs as far as this node knows. */
    long queued() {
        return queued.get();
    }

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
