package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.spindle.job.Job;
import dev.spindle.store.JobStore;
import dev.spindle.store.QueuedJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatch for a store one node owns (embedded H2): the queue order lives in the
 * {@link ReadyQueue}, fed by submissions and by the store at start-up, and jobs are claimed by id.
 * H2 cannot order and lock the next jobs quickly; a heap in memory can.
 */
final class LocalDispatcher implements Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(LocalDispatcher.class);

    private final JobStore store;

    private final ReadyQueue queue;

    private final Clock clock;

    private final String node;

    private final Duration leaseTtl;

    private final int claimBatch;

    LocalDispatcher(JobStore store, ReadyQueue queue, Clock clock, String node, Duration leaseTtl, int claimBatch) {
        this.store = store;
        this.queue = queue;
        this.clock = clock;
        this.node = node;
        this.leaseTtl = leaseTtl;
        this.claimBatch = claimBatch;
    }

    /** Recovers what a previous process left RUNNING and loads the queue. */
    void load() {
        Instant now = clock.instant();
        int recovered = store.recoverRunning(now);
        if (recovered > 0) {
            log.warn("Recovered {} jobs left RUNNING by a previous process that stopped without finishing them; "
                    + "they run again (at-least-once delivery) or fail if out of attempts", recovered);
        }
        queue.add(store.queued(), 0);
    }

    @Override
    public List<Job> next() throws InterruptedException {
        while (true) {
            List<QueuedJob> batch = queue.take(claimBatch);
            if (batch.isEmpty()) {
                return List.of();
            }
            List<Job> claimed;
            try {
                Instant now = clock.instant();
                claimed = store.claim(batch.stream().map(QueuedJob::id).toList(), node, now, now.plus(leaseTtl));
            }
            catch (RuntimeException ex) {
                log.warn("Could not claim {} jobs, retrying in {}: {}", batch.size(), STORE_RETRY_DELAY, ex.toString());
                queue.add(batch, 0);
                queue.release(batch.size());
                Dispatcher.pause(STORE_RETRY_DELAY);
                continue;
            }
            queue.release(batch.size() - claimed.size());
            if (!claimed.isEmpty()) {
                return claimed.stream()
                    .sorted((a, b) -> ReadyQueue.DISPATCH_ORDER.compare(queued(a), queued(b)))
                    .toList();
            }
        }
    }

    private static QueuedJob queued(Job job) {
        return new QueuedJob(job.id(), job.priority(), job.runAt());
    }

    @Override
    public boolean tryReserve(int n) {
        return queue.tryReserve(n);
    }

    @Override
    public void cancelReservation(int n) {
        queue.cancelReservation(n);
    }

    @Override
    public void enqueued(List<QueuedJob> jobs, int reserved) {
        queue.add(jobs, reserved);
    }

    @Override
    public void dequeued(String id) {
        queue.remove(id);
    }

    @Override
    public void requeued(List<QueuedJob> jobs) {
        queue.add(jobs, 0);
    }

    @Override
    public void wake() {
        // every job of this store was submitted through this node
    }

    @Override
    public void refresh() {
    }

    @Override
    public long queued() {
        return queue.size();
    }
}
