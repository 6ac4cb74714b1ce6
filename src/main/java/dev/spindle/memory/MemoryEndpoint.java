package dev.spindle.memory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.time.Instant;
import java.util.List;

import dev.spindle.memory.MemoryMonitor.CollectorActivity;
import dev.spindle.memory.MemorySamples.Sample;
import dev.spindle.memory.PressureTracker.Reading;
import dev.spindle.memory.PressureTracker.State;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/memory}: heap and non-heap now, each collector's counts and pauses, the
 * allocation rate, the recent samples, and the pressure state with its thresholds.
 */
@Component
@Endpoint(id = "memory")
class MemoryEndpoint {

    private final MemoryMonitor monitor;

    MemoryEndpoint(MemoryMonitor monitor) {
        this.monitor = monitor;
    }

    @ReadOperation
    MemoryView memory() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        var activity = monitor.collections();
        List<Collector> collectors = ManagementFactory.getGarbageCollectorMXBeans()
            .stream()
            .map(bean -> Collector.of(bean, activity.get(bean.getName())))
            .toList();
        State state = monitor.pressure();
        Reading last = state.last();
        var properties = monitor.properties();
        Pressure pressure = new Pressure(state.active(), monitor.sheds(state), properties.shedLoad(), state.since(),
                properties.pressureThreshold(), properties.recoveryThreshold(), state.episodes(),
                monitor.collectionsOverThreshold(),
                last == null ? null : new AfterGc(last.pool(), last.used(), last.max(), last.fraction(), last.at()));
        return new MemoryView(Usage.of(memory.getHeapMemoryUsage()), Usage.of(memory.getNonHeapMemoryUsage()),
                monitor.allocationRate(), collectors, pressure, monitor.samples());
    }

    /**
     * The endpoint's answer; sizes in bytes.
     *
     * @param allocationRate bytes allocated per second over the latest sample interval, -1 until known
     * @param samples heap used and committed and the allocation rate, oldest first
     */
    record MemoryView(Usage heap, Usage nonHeap, long allocationRate, List<Collector> gc, Pressure pressure,
            List<Sample> samples) {
    }

    /** @param max -1 when the JVM sets no maximum */
    record Usage(long used, long committed, long max) {

        static Usage of(MemoryUsage usage) {
            return new Usage(usage.getUsed(), usage.getCommitted(), usage.getMax());
        }
    }

    /**
     * One garbage collector.
     *
     * @param count collections since the JVM started
     * @param totalMillis their accumulated time (pauses; for a concurrent collector, its cycles)
     * @param lastMillis the latest collection's duration, since the monitor started; null before one
     * @param maxMillis the longest collection since the monitor started
     */
    record Collector(String name, long count, long totalMillis, @Nullable Long lastMillis, @Nullable Long maxMillis,
            @Nullable String lastCause, @Nullable Instant lastAt) {

        static Collector of(GarbageCollectorMXBean bean, @Nullable CollectorActivity activity) {
            return activity == null
                    ? new Collector(bean.getName(), bean.getCollectionCount(), bean.getCollectionTime(), null, null, null,
                            null)
                    : new Collector(bean.getName(), bean.getCollectionCount(), bean.getCollectionTime(),
                            activity.lastMillis(), activity.maxMillis(), activity.lastCause(), activity.lastAt());
        }
    }

    /**
     * @param underPressure a tenured pool held at least {@code threshold} of its maximum after GC and
     *        has not yet fallen below {@code recoveryThreshold}
     * @param shedding new jobs are refused now (under pressure and {@code shedLoad})
     * @param episodes how often pressure has started since the node did
     * @param collectionsOverThreshold collections of any kind (young and mixed included) that left a
     *        tenured pool above the threshold, as the JVM counts them
     * @param lastAfterGc the latest reading of a tenured pool after a full collection
     */
    record Pressure(boolean underPressure, boolean shedding, boolean shedLoad, @Nullable Instant since, double threshold,
            double recoveryThreshold, long episodes, long collectionsOverThreshold, @Nullable AfterGc lastAfterGc) {
    }

    record AfterGc(String pool, long used, long max, double fraction, Instant at) {
    }
}
