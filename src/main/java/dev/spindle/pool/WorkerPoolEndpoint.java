package dev.spindle.pool;

import java.util.Map;

import dev.spindle.job.JobMetrics;
import dev.spindle.job.JobMetrics.TypeStats;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/workerpool}: this node's pool (concurrency, running, queued) and, per job type,
 * the counts by outcome and the wait and run percentiles, from the same meters Prometheus scrapes.
 */
@Component
@Endpoint(id = "workerpool")
class WorkerPoolEndpoint {

    private final WorkerPool pool;

    private final JobMetrics metrics;

    WorkerPoolEndpoint(WorkerPool pool, JobMetrics metrics) {
        this.pool = pool;
        this.metrics = metrics;
    }

    @ReadOperation
    WorkerPoolView workerPool() {
        PoolStats stats = pool.stats();
        return new WorkerPoolView(stats.node(), stats.concurrency(), stats.running(), stats.queued(), stats.maxQueued(),
                metrics.rejectedCount(), metrics.snapshot());
    }

    /**
     * The endpoint's answer.
     *
     * @param rejected submitted jobs refused because the backlog was full or memory was under pressure
     * @param types per job type that has seen a job: submitted, completed by outcome, timed out,
     *        queueWait and run (count, mean, p50, p99, max in milliseconds)
     */
    record WorkerPoolView(String node, int concurrency, int running, long queued, int maxQueued, long rejected,
            Map<String, TypeStats> types) {
    }
}
