package dev.spindle.store;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The {@code store} health component, in the readiness group: DOWN while the store refuses
 * writes (see {@link StoreWrites}), with since when and why, so that a node that cannot take a
 * job is taken out of rotation until its disk has room again.
 */
@Component("store")
class StoreHealthIndicator extends AbstractHealthIndicator {

    private final StoreWrites writes;

    StoreHealthIndicator(StoreWrites writes) {
        super("The job store state cannot be read");
        this.writes = writes;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        StoreWrites.Failure failure = writes.failure();
        if (failure == null) {
            builder.up().withDetail("writable", true);
        }
        else {
            builder.down()
                .withDetail("writable", false)
                .withDetail("failingSince", failure.since().toString())
                .withDetail("cause", failure.cause());
        }
    }
}
