package dev.spindle.pool;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The worker pool, for the liveness probe: DOWN only when its dispatcher thread has died while the
 * pool should be running (nothing would ever start again: a restart helps). It reads no store, so
 * a slow or absent database never fails liveness.
 */
@Component("pool")
class PoolHealthIndicator extends AbstractHealthIndicator {

    private final WorkerPool pool;

    PoolHealthIndicator(WorkerPool pool) {
        this.pool = pool;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        PoolStats stats = pool.stats();
        (pool.dispatcherAlive() ? builder.up() : builder.down())
            .withDetail("started", pool.isStarted())
            .withDetail("concurrency", stats.concurrency())
            .withDetail("running", stats.running())
            .withDetail("queued", stats.queued());
    }
}
