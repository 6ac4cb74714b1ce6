package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import dev.spindle.job.Job;
import dev.spindle.store.JobStore;
import dev.spindle.store.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatch for a store several nodes share (PostgreSQL): with free slots, claim the next due jobs
 * straight from the store in batches ({@code FOR UPDATE SKIP LOCKED}, so nodes never wait on each
 * other); with nothing due, sleep until woken (a submission here, a notification from another
 * node), until the next delayed job is due, or for the poll interval.
 *
 * <p>The backlog limit is checked against the store's QUEUED count, re-read every heartbeat and
 * kept current in between with this node's own submissions and claims: an estimate, by design.
 */
final class SharedDispatcher implements Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(SharedDispatcher.class);

    private final JobStore store;

    private final ReadyQueue slots;

    private final Clock clock;

    private final String node;

    private final Duration leaseTtl;

    private final Duration pollInterval;

    private final int claimBatch;

    private final long maxQueued;

    /** True while this node should take no new work from the shared queue (memory pressure). */
    private final BooleanSupplier holdBack;

    private final AtomicLong queued = new AtomicLong();

    private final ReentrantLock lock = new ReentrantLock();

    private final Condition woken = lock.newCondition();

    private boolean pending;

    SharedDispatcher(JobStore store, ReadyQueue slots, Clock clock, String node, Duration leaseTtl,
            Duration pollInterval, int claimBatch, long maxQueued, BooleanSupplier holdBack) {
        this.store = store;
        this.slots = slots;
        this.clock = clock;
        this.node = node;
        this.leaseTtl = leaseTtl;
        this.pollInterval = pollInterval;
        this.claimBatch = claimBatch;
        this.maxQueued = maxQueued;
        this.holdBack = holdBack;
    }

    @Override
    public List<Job> next() throws InterruptedException {
        while (true) {
            if (holdBack.getAsBoolean()) {
                // the other nodes take the queue's jobs meanwhile; the jobs running here go on
                Thread.sleep(pollInterval);
                continue;
            }
            int free = slots.acquireSlots(claimBatch);
            if (free == 0) {
                return List.of();
            }
            List<Job> claimed;
            Instant now = clock.instant();
            try {
                claimed = store.claimNext(free, node, now, now.plus(leaseTtl));
            }
            catch (RuntimeException ex) {
                slots.release(free);
                log.warn("Could not claim jobs, retrying in {}: {}", STORE_RETRY_DELAY, ex.toString());
                Dispatcher.pause(STORE_RETRY_DELAY);
                continue;
            }
            slots.release(free - claimed.size());
            if (!claimed.isEmpty()) {
                queued.addAndGet(-claimed.size());
                return claimed;
            }
            awaitWork(now);
        }
    }

    private void awaitWork(Instant now) throws InterruptedException {
        Duration wait = pollInterval;
        try {
            Instant next = store.nextRunAt().orElse(null);
            if (next != null && next.isBefore(now.plus(wait))) {
                wait = Duration.between(now, next);
            }
        }
        catch (RuntimeException ex) {
            // the claim will fail too and say so; poll meanwhile
        }
        lock.lock();
        try {
            long nanos = wait.toNanos();
            while (!pending && nanos > 0) {
                nanos = woken.awaitNanos(nanos);
            }
            pending = false;
        }
        finally {
            lock.unlock();
        }
    }

    @Override
    public void wake() {
        lock.lock();
        try {
            pending = true;
            woken.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    @Override
    public boolean tryReserve(int n) {
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

    @Override
    public void cancelReservation(int n) {
        queued.addAndGet(-n);
    }

    @Override
    public void enqueued(List<QueuedJob> jobs, int reserved) {
        queued.addAndGet(jobs.size() - reserved);
        wake();
    }

    @Override
    public void dequeued(String id) {
        queued.decrementAndGet();
    }

    @Override
    public void requeued(List<QueuedJob> jobs) {
        queued.addAndGet(jobs.size());
        wake();
    }

    @Override
    public void refresh() {
        queued.set(store.countQueued());
    }

    @Override
    public long queued() {
        return queued.get();
    }
}
