package dev.spindle.pool;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The worker pool, for the liveness probe: DOWN when its dispatcher or completion writer thread has
 * died while the pool should be running, or the pool failed to start (nothing would ever start
 * again: a restart helps); the cause is in the details. It reads no store, so
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
        (pool.alive() ? builder.up() : builder.down())
            .withDetail("started", pool.isStarted())
            .withDetail("instance", stats.instance())
            .withDetail("concurrency", stats.concurrency())
            .withDetail("running", stats.running())
            .withDetail("queued", stats.queued());
        Throwable death = pool.death();
        if (death != null) {
            builder.withDetail("error", death.toString());
        }
        RuntimeException startFailure = pool.startFailure();
        if (startFailure != null) {
            builder.down().withDetail("error", "could not start: " + startFailure);
        }
    }
}
