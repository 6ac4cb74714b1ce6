package dev.spindle.memory;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
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

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Watches the heap with the JDK's own signals and nothing that polls it: the GC notifications give
 * every collection's duration and cause and, after a collection that leaves only live data in the
 * tenured heap pool (a full collection, the end of a concurrent cycle), that pool's usage, which
 * starts and ends the pressure. What a young or a G1 mixed collection leaves in the old generation
 * includes objects promoted and dead since, and would raise false alarms on a busy node (measured:
 * the collection-usage threshold notification, which G1 also sends after mixed collections, did).
 * The collection-usage threshold is still set on each tenured pool, so the JVM counts the
 * collections that left it above the threshold.
 *
 * <p>A sampler records heap and allocation into a bounded ring every
 * {@code spindle.memory.sample-interval}, allocating nothing. Under pressure it is also what makes
 * recovery possible on a node that readiness has taken out of traffic: when no collection of the
 * tenured pool has been seen for {@code spindle.memory.recheck-interval}, it asks for one
 * ({@code System.gc()}), at most once per interval and only while under pressure.
 *
 * <p>Under pressure, and with {@code spindle.memory.shed-load}, {@link #shedding()} is true: the
 * job service refuses new jobs and the {@code memory} health component is OUT_OF_SERVICE, so
 * readiness takes the node out of its load balancer. Running jobs are not touched.
 */
@Component
public class MemoryMonitor implements SmartLifecycle {

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

    private volatile @Nullable ScheduledExecutorService sampler;

    /** When the tenured pool was last collected (full collection, end of a concurrent cycle) or a collection asked for. */
    private volatile long lastTenuredCollectionMillis;

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
    public synchronized void start() {
        if (sampler != null) {
            return;
        }
        for (MemoryPoolMXBean pool : tenured) {
            // the JVM counts the collections that leave the pool above it (/actuator/memory shows
            // the count); its notifications are not used to decide: G1 sends them after mixed
            // collections too, which leave dead objects in the old regions they did not collect
            pool.setCollectionUsageThreshold(Math.max(1, (long) (properties.pressureThreshold() * max(pool))));
        }
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            listen(collector, this::onCollection);
        }
        if (tenured.isEmpty()) {
            log.warn("No heap pool of this JVM's collector supports usage thresholds: memory pressure is never detected");
        }
        lastTenuredCollectionMillis = clock.millis();
        sample();
        ScheduledExecutorService executor = Executors
            .newSingleThreadScheduledExecutor(Thread.ofPlatform().name("spindle-memory-sampler").daemon().factory());
        long every = properties.sampleInterval().toMillis();
        executor.scheduleAtFixedRate(this::sample, every, every, TimeUnit.MILLISECONDS);
        sampler = executor;
    }

    @Override
    public synchronized void stop() {
        ScheduledExecutorService executor = sampler;
        if (executor != null) {
            executor.shutdownNow();
            sampler = null;
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

    @Override
    public boolean isRunning() {
        return sampler != null;
    }

    /** Early: watching before intake opens, until after it has closed. */
    @Override
    public int getPhase() {
        return 0;
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

    /** Collections that left a tenured pool above the threshold, as the JVM counts them. */
    long collectionsOverThreshold() {
        return tenured.stream().mapToLong(MemoryPoolMXBean::getCollectionUsageThresholdCount).sum();
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
        long now = clock.millis();
        samples.record(now, committed - runtime.freeMemory(), committed,
                threads == null ? -1 : threads.getTotalThreadAllocatedBytes());
        if (pressure.state().active() && now - lastTenuredCollectionMillis >= properties.recheckInterval().toMillis()) {
            // out of traffic, the node may allocate too little for the collector to ever look at
            // the tenured pool again; without that look the pressure could never clear
            lastTenuredCollectionMillis = now;
            log.info("Memory pressure: no collection of the tenured heap for {}; asking for one",
                    properties.recheckInterval());
            System.gc();
        }
    }

    private void onCollection(Notification notification, @Nullable Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo
            .from((CompositeData) notification.getUserData());
        collections.merge(info.getGcName(), CollectorActivity.first(info, clock.instant()), CollectorActivity::then);
        if (!collectsTenured(info)) {
            return;
        }
        lastTenuredCollectionMillis = clock.millis();
        Map<String, MemoryUsage> after = info.getGcInfo().getMemoryUsageAfterGc();
        for (MemoryPoolMXBean pool : tenured) {
            MemoryUsage usage = after.get(pool.getName());
            if (usage != null) {
                observe(pool.getName(), usage);
            }
        }
    }

    /**
     * Whether this collection leaves only live data (and what was allocated meanwhile) in the
     * tenured pool: a full collection, or the end of a concurrent cycle (G1's marking and cleanup,
     * ZGC's major and Shenandoah's cycles). Not a young collection, and not G1's mixed ones, which
     * are reported as young and collect only some old regions: after them the old generation still
     * holds objects that were promoted and died since.
     */
    static boolean collectsTenured(GarbageCollectionNotificationInfo info) {
        String name = info.getGcName();
        return info.getGcAction().contains("major") || name.contains("Concurrent")
                || name.endsWith("Cycles") && !name.contains("Minor");
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
