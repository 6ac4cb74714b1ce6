package dev.spindle.queue;

import java.time.Clock;
import java.util.List;

import dev.spindle.config.Names;
import dev.spindle.config.QueueProperties;
import dev.spindle.job.InvalidInputException;
import dev.spindle.pool.WorkerPool;
import dev.spindle.store.QueueStore;

import org.springframework.stereotype.Service;

/** Queues for the API: their counts and limits, and the pause switch every node obeys. */
@Service
public class QueueService {

    private final QueueStore store;

    private final QueueProperties config;

    private final WorkerPool pool;

    private final Clock clock;

    QueueService(QueueStore store, QueueProperties config, WorkerPool pool, Clock clock) {
        this.store = store;
        this.config = config;
        this.pool = pool;
        this.clock = clock;
    }

    /** Every configured queue and every queue with jobs not yet ended or paused, by name. */
    public List<QueueView> list() {
        return store.queueCounts(config.queues().keySet(), clock.instant())
            .stream()
            .map(counts -> QueueView.of(counts, config.queues().containsKey(counts.name()), config.queue(counts.name())))
            .toList();
    }

    /** @throws QueueNotFoundException when no queue of that name is configured, holds jobs or is paused */
    public QueueView find(String name) {
        check(name);
        return list().stream()
            .filter(queue -> queue.name().equals(name))
            .findFirst()
            .orElseThrow(() -> new QueueNotFoundException(name));
    }

    /**
     * Stops every node claiming the queue's jobs from its next claim on (running ones go on). A
     * queue may be paused before any of its jobs arrive.
     */
    public QueueView pause(String name) {
        check(name);
        store.pauseQueue(name, true, clock.instant());
        return findOrEmpty(name, true);
    }

    /** Lets every node claim the queue's jobs again, waking this node's dispatcher (the store tells the others). */
    public QueueView resume(String name) {
        check(name);
        store.pauseQueue(name, false, clock.instant());
        pool.jobsAvailable();
        return findOrEmpty(name, false);
    }

    /** The queue as it stands, or (resumed, with no jobs and no configuration: not listed) empty. */
    private QueueView findOrEmpty(String name, boolean paused) {
        return list().stream()
            .filter(queue -> queue.name().equals(name))
            .findFirst()
            .orElseGet(() -> QueueView.of(new QueueCounts(name, 0, 0, 0, 0, 0, paused), false, config.queue(name)));
    }

    private static void check(String name) {
        if (!Names.valid(name)) {
            throw new InvalidInputException(List.of("name: a queue name is " + Names.RULE));
        }
    }
}
