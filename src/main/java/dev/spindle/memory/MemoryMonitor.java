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
 * Watches the heap with the JDK's own signals: the GC notifications give every collection's
 * duration and cause and the tenured heap pool's usage after it. Only a full collection (or a major
 * cycle of ZGC or Shenandoah) leaves nothing but live data there, so only its reading starts and ends
 * the pressure. After young collections, G1's mixed collections and the pauses of its concurrent
 * cycle, the old generation still holds objects that were promoted and died since: measured, those
 * readings (and the JVM's collection-usage threshold notifications, which come after them too) raise
 * false pressure on a busy node. Such a reading above the threshold is only a suspicion, which the
 * sampler settles by asking for a full collection ({@code System.gc()}), at most once per
 * {@code spindle.memory.recheck-interval} without one. Under pressure it asks the same way, so that
 * a node readiness took out of traffic, which may allocate too little for the collector ever to
 * look at the tenured pool again, sees its memory freed. The collection-usage threshold is still
 * set on each tenured pool, so the JVM counts the collections that left it above the threshold.
 *
 * <p>The sampler records heap and allocation into a bounded ring every
 * {@code spindle.memory.sample-interval}, allocating nothing.
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

    /** When the last full collection happened or was asked for. */
    private volatile long lastFullCollectionMillis;

    /** A partial collection left a tenured pool above the threshold: a full one will tell whether it is live data. */
    private volatile boolean suspected;

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
        lastFullCollectionMillis = clock.millis();
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
        return sheds(pressure.state());
    }

    /** Whether a node in this pressure state refuses new jobs. */
    boolean sheds(State state) {
        return properties.shedLoad() && state.active();
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
        boolean active = pressure.state().active();
        if ((active || suspected) && now - lastFullCollectionMillis >= properties.recheckInterval().toMillis()) {
            // a suspicion is confirmed or dismissed by the one collection that leaves only live
            // data; under pressure, a node out of traffic may allocate too little for the collector
            // ever to look at the tenured pool again, and without that look it could never recover
            lastFullCollectionMillis = now;
            suspected = false;
            log.info("Memory: {}; asking for a full collection to see the live data",
                    active ? "under pressure, no full collection for " + properties.recheckInterval()
                            : "the tenured heap is above the threshold after a partial collection");
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
        boolean full = leavesOnlyLiveData(info);
        if (full) {
            lastFullCollectionMillis = clock.millis();
            suspected = false;
        }
        Map<String, MemoryUsage> after = info.getGcInfo().getMemoryUsageAfterGc();
        for (MemoryPoolMXBean pool : tenured) {
            MemoryUsage usage = after.get(pool.getName());
            if (usage == null) {
                continue;
            }
            if (full) {
                observe(pool.getName(), usage);
            }
            else if (usage.getUsed() >= properties.pressureThreshold() * maxOf(usage)) {
                suspected = true;
            }
        }
    }

    /**
     * Whether this collection leaves only live data (and what was allocated meanwhile) in the
     * tenured pool: a full collection, or a major cycle of ZGC or Shenandoah. After a young, a G1
     * mixed collection or the pauses of G1's concurrent cycle the old generation still holds objects
     * that were promoted and died since: measured, those readings raise false pressure on a busy node.
     */
    static boolean leavesOnlyLiveData(GarbageCollectionNotificationInfo info) {
        String name = info.getGcName();
        return info.getGcAction().contains("major") || name.endsWith("Cycles") && !name.contains("Minor");
    }

    private static long maxOf(MemoryUsage usage) {
        return usage.getMax() > 0 ? usage.getMax() : Runtime.getRuntime().maxMemory();
    }

    private void observe(String pool, MemoryUsage usage) {
        long max = maxOf(usage);
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
