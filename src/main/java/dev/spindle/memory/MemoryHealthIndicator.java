package dev.spindle.memory;

import dev.spindle.memory.PressureTracker.Reading;
import dev.spindle.memory.PressureTracker.State;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * Memory pressure, for the readiness probe: OUT_OF_SERVICE while the node sheds load, so the load
 * balancer sends new work elsewhere; never DOWN, since a restart would lose the running jobs' progress
 * and pressure is expected to clear.
 */
@Component("memory")
class MemoryHealthIndicator extends AbstractHealthIndicator {

    private final MemoryMonitor monitor;

    MemoryHealthIndicator(MemoryMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        State state = monitor.pressure();
        (monitor.sheds(state) ? builder.outOfService() : builder.up()).withDetail("underPressure", state.active())
            .withDetail("threshold", monitor.properties().pressureThreshold())
            .withDetail("recoveryThreshold", monitor.properties().recoveryThreshold());
        Reading last = state.last();
        if (last != null) {
            builder.withDetail("pool", last.pool()).withDetail("usedAfterGc", last.used()).withDetail("max", last.max());
        }
        if (state.since() != null) {
            builder.withDetail("since", state.since());
        }
    }
}
