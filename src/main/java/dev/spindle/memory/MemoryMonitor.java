package dev.spindle.memory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryNotificationInfo;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.spindle.config.MemoryProperties;
import dev.spindle.memory.MemorySamples.Sample;
import dev.spindle.memory.PressureTracker.Reading;
import dev.spindle.memory.PressureTracker.State;
import dev.spindle.memory.PressureTracker.Transition;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.stereotype.Component;

/**
 * Watches the heap with the JDK's own signals and nothing that polls it: a collection-usage
 * threshold on each tenured heap pool (the JVM notifies when a pool still holds more than the
 * threshold after a collection) and the GC notifications (every collection's pauses and the pools'
 * usage after it, which also tells when the pressure has cleared). A sampler records heap and
 * allocation into a bounded ring every {@code spindle.memory.sample-interval}, allocating nothing.
 *
 * <p>Under pressure, and with {@code spindle.memory.shed-load}, {@link #shedding()} is true: the
 * job service refuses new jobs and the {@code memory} health component is OUT_OF_SERVICE, so
 * readiness takes the node out of its load balancer. Running jobs are not touched.
 */
@Component
public class MemoryMonitor implements InitializingBean, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(MemoryMonitor.class);

    private final MemoryProperties properties;

    private final Clock clock;

    private final PressureTracker pressure;

    private final MemorySamples samples;

    /** The heap pools that hold long-lived objects: the ones that support a usage threshold. */
    private final List<MemoryPoolMXBean> tenured;

    private final Map<String, CollectorActivity> collections = new ConcurrentHashMap<>();

    private final List<Registration> registrations = new ArrayList<>();

    private final com.sun.management.@Nullable ThreadMXBean threads;

    private @Nullable ScheduledExecutorService sampler;

    public MemoryMonitor(MemoryProperties properties, Clock clock, MeterRegistry registry) {
        this.properties = properties;
        this.clock = clock;
        this.pressure = new PressureTracker(properties.pressureThreshold(), properties.recoveryThreshold());
        this.samples = new MemorySamples(properties.samples());
        this.tenured = ManagementFactory.getMemoryPoolMXBeans()
            .stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isUsageThresholdSupported()
                    && pool.isCollectionUsageThresholdSupported())
            .toList();
        this.threads = ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean counting
                && counting.isThreadAllocatedMemorySupported() && counting.isThreadAllocatedMemoryEnabled() ? counting
                        : null;
        Gauge.builder("spindle.memory.pressure", this, monitor -> monitor.pressure.state().active() ? 1 : 0)
            .description("1 while the node is under memory pressure (tenured heap after GC above the threshold)")
            .register(registry);
    }

    @Override
    public void afterPropertiesSet() {
        for (MemoryPoolMXBean pool : tenured) {
            // shared by the whole JVM: the listener compares with its own threshold, so another
            // monitor in the same JVM (tests) setting a lower one cannot start pressure here
            pool.setCollectionUsageThreshold(Math.max(1, (long) (properties.pressureThreshold() * max(pool))));
        }
        listen(ManagementFactory.getMemoryMXBean(), this::onThresholdExceeded);
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            listen(collector, this::onCollection);
        }
        if (tenured.isEmpty()) {
            log.warn("No heap pool of this JVM's collector supports usage thresholds: memory pressure is never detected");
        }
        sample();
        ScheduledExecutorService executor = Executors
            .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-memory-sampler").daemon().factory());
        long every = properties.sampleInterval().toMillis();
        executor.scheduleAtFixedRate(this::sample, every, every, TimeUnit.MILLISECONDS);
        sampler = executor;
    }

    @Override
    public void destroy() {
        ScheduledExecutorService executor = sampler;
        if (executor != null) {
            executor.shutdownNow();
        }
        for (Registration registration : registrations) {
            try {
                registration.emitter().removeNotificationListener(registration.listener());
            }
            catch (ListenerNotFoundException ex) {
                // already gone
            }
        }
        registrations.clear();
    }

    /** Whether new jobs are refused now: under pressure with load shedding on. */
    public boolean shedding() {
        return properties.shedLoad() && pressure.state().active();
    }

    /** Why new jobs are refused, for the client. */
    public String refusal() {
        Reading last = pressure.state().last();
        String held = last == null ? "" : " (%s holds %d%% of its maximum after GC)".formatted(last.pool(),
                Math.round(last.fraction() * 100));
        return "Spindle is under memory pressure%s; new jobs are refused until it falls below %d%%, retry later"
            .formatted(held, Math.round(properties.recoveryThreshold() * 100));
    }

    public Duration retryAfter() {
        return properties.retryAfter();
    }

    MemoryProperties properties() {
        return properties;
    }

    State pressure() {
        return pressure.state();
    }

    List<Sample> samples() {
        return samples.snapshot();
    }

    long allocationRate() {
        return samples.latestRate();
    }

    Map<String, CollectorActivity> collections() {
        return Map.copyOf(collections);
    }

    private void sample() {
        Runtime runtime = Runtime.getRuntime();
        long committed = runtime.totalMemory();
        samples.record(clock.millis(), committed - runtime.freeMemory(), committed,
                threads == null ? -1 : threads.getTotalThreadAllocatedBytes());
    }

    private void onThresholdExceeded(Notification notification, @Nullable Object handback) {
        if (MemoryNotificationInfo.MEMORY_COLLECTION_THRESHOLD_EXCEEDED.equals(notification.getType())) {
            MemoryNotificationInfo info = MemoryNotificationInfo.from((CompositeData) notification.getUserData());
            observe(info.getPoolName(), info.getUsage());
        }
    }

    private void onCollection(Notification notification, @Nullable Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo
            .from((CompositeData) notification.getUserData());
        collections.merge(info.getGcName(), CollectorActivity.first(info, clock.instant()), CollectorActivity::then);
        Map<String, MemoryUsage> after = info.getGcInfo().getMemoryUsageAfterGc();
        for (MemoryPoolMXBean pool : tenured) {
            MemoryUsage usage = after.get(pool.getName());
            if (usage != null) {
                observe(pool.getName(), usage);
            }
        }
    }

    private void observe(String pool, MemoryUsage usage) {
        long max = usage.getMax() > 0 ? usage.getMax() : Runtime.getRuntime().maxMemory();
        Transition transition = pressure.observe(new Reading(pool, usage.getUsed(), max, clock.instant()));
        switch (transition) {
            case STARTED -> log.warn("Memory pressure: {} holds {} MB of {} MB after GC (threshold {}%); {}", pool,
                    usage.getUsed() >> 20, max >> 20, Math.round(properties.pressureThreshold() * 100),
                    properties.shedLoad() ? "new jobs are refused and readiness is OUT_OF_SERVICE until it clears"
                            : "load shedding is off (spindle.memory.shed-load=false)");
            case ENDED -> log.info("Memory pressure cleared: {} holds {} MB of {} MB after GC (below {}%)", pool,
                    usage.getUsed() >> 20, max >> 20, Math.round(properties.recoveryThreshold() * 100));
            case NONE -> {
            }
        }
    }

    private void listen(Object bean, NotificationListener listener) {
        if (bean instanceof NotificationEmitter emitter) {
            emitter.addNotificationListener(listener, null, null);
            registrations.add(new Registration(emitter, listener));
        }
    }

    private static long max(MemoryPoolMXBean pool) {
        long max = pool.getUsage().getMax();
        return max > 0 ? max : Runtime.getRuntime().maxMemory();
    }

    private record Registration(NotificationEmitter emitter, NotificationListener listener) {
    }

    /**
     * What the GC notifications told of one collector.
     *
     * @param count collections notified since the monitor started
     * @param lastMillis duration of the latest
     * @param maxMillis longest duration seen
     */
    record CollectorActivity(long count, long lastMillis, long maxMillis, String lastCause, Instant lastAt) {

        static CollectorActivity first(GarbageCollectionNotificationInfo info, Instant at) {
            long millis = info.getGcInfo().getDuration();
            return new CollectorActivity(1, millis, millis, info.getGcCause(), at);
        }

        CollectorActivity then(CollectorActivity next) {
            return new CollectorActivity(count + next.count, next.lastMillis, Math.max(maxMillis, next.maxMillis),
                    next.lastCause, next.lastAt);
        }
    }
}
