package dev.spindle.queue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

import dev.spindle.config.QueueProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.stereotype.Component;

/**
 * Per-queue gauges, tagged {@code queue}: {@code spindle.queue.queued}, {@code .due},
 * {@code .running}, {@code .waiting}, {@code .held-back} (due jobs the limits hold back) and
 * {@code .paused} (1 or 0). One read of the store's counts serves every gauge for a few seconds, so
 * a scrape costs one read, not one per gauge. The configured queues and {@code default} have
 * gauges; any other queue a job names is counted by {@code GET /api/v1/queues} only, so that
 * clients naming queues cannot grow the metrics without bound.
 */
@Component
class QueueMetrics {

    static final Duration FRESH_FOR = Duration.ofSeconds(5);

    private final QueueService queues;

    private final MeterRegistry registry;

    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    private volatile Map<String, QueueView> counts = Map.of();

    private volatile long readAt;

    private volatile boolean read;

    QueueMetrics(QueueService queues, QueueProperties config, MeterRegistry registry) {
        this.queues = queues;
        this.registry = registry;
        register(QueueProperties.DEFAULT_QUEUE);
        config.queues().keySet().forEach(this::register);
    }

    private void register(String queue) {
        if (!registered.add(queue)) {
            return;
        }
        gauge("spindle.queue.queued", queue, "Jobs QUEUED in the queue, due or delayed, on every node", QueueView::queued);
        gauge("spindle.queue.due", queue, "QUEUED jobs of the queue whose start time has come", QueueView::due);
        gauge("spindle.queue.running", queue, "Jobs of the queue RUNNING, on every node", QueueView::running);
        gauge("spindle.queue.waiting", queue, "Workflow steps of the queue WAITING for their dependencies",
                QueueView::waiting);
        gauge("spindle.queue.held-back", queue, "Due jobs of the queue its limits hold back now", QueueView::heldBack);
        gauge("spindle.queue.paused", queue, "1 while the queue is paused", view -> view.paused() ? 1 : 0);
    }

    private void gauge(String name, String queue, String description, ToDoubleFunction<QueueView> value) {
        Gauge.builder(name, this, metrics -> metrics.read(queue, value))
            .tag("queue", queue)
            .description(description)
            .register(registry);
    }

    private boolean fresh(long now) {
        return read && now - readAt < FRESH_FOR.toNanos();
    }

    private double read(String queue, ToDoubleFunction<QueueView> value) {
        QueueView view = fresh().get(queue);
        return view == null ? 0 : value.applyAsDouble(view);
    }

    private Map<String, QueueView> fresh() {
        if (fresh(System.nanoTime())) {
            return counts;
        }
        synchronized (this) {
            if (!fresh(System.nanoTime())) {
                Map<String, QueueView> views = new HashMap<>();
                try {
                    queues.list().forEach(view -> views.put(view.name(), view));
                    counts = views;
                }
                catch (RuntimeException ex) {
                    // the store's own health and metrics say it is down; the gauges keep their last values
                }
                readAt = System.nanoTime();
                read = true;
            }
            return counts;
        }
    }
}
