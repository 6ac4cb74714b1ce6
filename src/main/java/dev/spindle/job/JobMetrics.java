package dev.spindle.job;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * The job meters, registered once per job type at start so that recording looks nothing up by
 * name: {@code spindle.jobs.submitted{type}}, {@code spindle.jobs.completed{type,outcome}}, and the
 * timers {@code spindle.jobs.wait{type}} (runAt, or the end of the last attempt, to start) and
 * {@code spindle.jobs.run{type}} (one attempt), both with percentile histograms. Tags are bounded:
 * the registered types (and {@code other}) and the {@link Outcome}s. And the workflow meters:
 * {@code spindle.workflows.started}, {@code spindle.workflows.completed{outcome}} (the workflow
 * states, a bounded set looked up only when a workflow ends) and {@code spindle.workflows.steps.released}.
 */
@Component
public class JobMetrics {

    /** How an attempt ended, as the {@code outcome} tag says it. */
    public enum Outcome {
        SUCCEEDED, FAILED, CANCELLED, RETRIED, DEFERRED, INTERRUPTED;

        final String tag = name().toLowerCase(Locale.ROOT);
    }

    private static final String OTHER = "other";

    private final Map<String, TypeMeters> byType = new HashMap<>();

    private final TypeMeters other;

    private final Counter rejected;

    private final Counter staleCompletions;

    private final Counter workflowsStarted;

    private final Counter stepsReleased;

    private final MeterRegistry registry;

    JobMetrics(JobHandlers handlers, MeterRegistry registry) {
        this.registry = registry;
        this.workflowsStarted = Counter.builder("spindle.workflows.started").description("Workflows accepted")
            .register(registry);
        this.stepsReleased = Counter.builder("spindle.workflows.steps.released")
            .description("Workflow steps released to the queue by the end of their last dependency").register(registry);
        this.rejected = Counter.builder("spindle.jobs.rejected")
            .description("Submitted jobs refused: backlog full or memory pressure").register(registry);
        this.staleCompletions = Counter.builder("spindle.jobs.stale.completions")
            .description("Attempts whose outcome was not stored: the job's lease had been lost and it was taken over")
            .register(registry);
        for (JobHandler handler : handlers.all()) {
            byType.put(handler.type(), new TypeMeters(handler.type(), registry));
        }
        this.other = new TypeMeters(OTHER, registry);
    }

    /** A submission refused because the backlog was full or the node was under memory pressure (503 / -BUSY). */
    public void rejected(int jobs) {
        rejected.increment(jobs);
    }

    public void workflowStarted() {
        workflowsStarted.increment();
    }

    /** A workflow ended here (its last job ended in a write of this process), in {@code state}. */
    public void workflowEnded(String state) {
        Counter.builder("spindle.workflows.completed").tag("outcome", state.toLowerCase(Locale.ROOT))
            .description("Workflows ended, by outcome").register(registry).increment();
    }

    public void stepsReleased(int steps) {
        stepsReleased.increment(steps);
    }

    /** An attempt ended here after its job had been taken over (lost fence): its outcome was not stored. */
    public void staleCompletion() {
        staleCompletions.increment();
    }

    /** An attempt that ran past its timeout (also counted as failed or retried). */
    public void timedOut(String type) {
        meters(type).timedOut.increment();
    }

    public void submitted(String type) {
        meters(type).submitted.increment();
    }

    public void completed(String type, Outcome outcome) {
        meters(type).completed.get(outcome).increment();
    }

    /** From when the job could start to when it started. */
    public void waited(String type, Duration wait) {
        meters(type).wait.record(wait.isNegative() ? Duration.ZERO : wait);
    }

    /** One attempt's run time. */
    public void ran(String type, long nanos) {
        meters(type).run.record(Duration.ofNanos(nanos));
    }

    /** What the meters hold now, per job type that has seen any job (for /actuator/workerpool). */
    public Map<String, TypeStats> snapshot() {
        Map<String, TypeStats> stats = new java.util.TreeMap<>();
        byType.forEach((type, meters) -> stats.put(type, meters.stats()));
        stats.put(OTHER, other.stats());
        stats.values().removeIf(type -> type.submitted() == 0 && type.run().count() == 0);
        return stats;
    }

    public long rejectedCount() {
        return (long) rejected.count();
    }

    /** One job type's counts and timings. */
    public record TypeStats(long submitted, Map<String, Long> completed, long timedOut, TimerStats queueWait, TimerStats run) {
    }

    /**
     * A timer's count and percentiles in milliseconds, estimated from its histogram buckets (the
     * upper bound of the bucket the percentile falls in), and the largest value recently seen.
     */
    public record TimerStats(long count, double meanMs, double p50Ms, double p99Ms, double maxMs) {

        static TimerStats of(Timer timer) {
            var snapshot = timer.takeSnapshot();
            return new TimerStats(snapshot.count(), snapshot.mean(TimeUnit.MILLISECONDS),
                    percentile(snapshot, 0.5), percentile(snapshot, 0.99), snapshot.max(TimeUnit.MILLISECONDS));
        }

        private static double percentile(io.micrometer.core.instrument.distribution.HistogramSnapshot snapshot, double p) {
            long total = snapshot.count();
            if (total == 0) {
                return 0;
            }
            for (var bucket : snapshot.histogramCounts()) {
                if (bucket.count() >= p * total) {
                    return Math.min(bucket.bucket(TimeUnit.MILLISECONDS), snapshot.max(TimeUnit.MILLISECONDS));
                }
            }
            return snapshot.max(TimeUnit.MILLISECONDS);
        }
    }

    private TypeMeters meters(String type) {
        TypeMeters meters = byType.get(type);
        return meters == null ? other : meters;
    }

    private static final class TypeMeters {

        final Counter submitted;

        final Map<Outcome, Counter> completed = new EnumMap<>(Outcome.class);

        final Timer wait;

        final Timer run;

        final Counter timedOut;

        TypeMeters(String type, MeterRegistry registry) {
            timedOut = Counter.builder("spindle.jobs.timeouts").tag("type", type)
                .description("Attempts that ran past their timeout").register(registry);
            submitted = Counter.builder("spindle.jobs.submitted").tag("type", type)
                .description("Jobs accepted (an idempotent repeat is not counted)").register(registry);
            for (Outcome outcome : Outcome.values()) {
                completed.put(outcome, Counter.builder("spindle.jobs.completed").tag("type", type)
                    .tag("outcome", outcome.tag).description("Attempts ended, by how").register(registry));
            }
            wait = Timer.builder("spindle.jobs.wait").tag("type", type).publishPercentileHistogram()
                .description("From when a job could start to when it started").register(registry);
            run = Timer.builder("spindle.jobs.run").tag("type", type).publishPercentileHistogram()
                .description("Run time of one attempt").register(registry);
        }

        TypeStats stats() {
            Map<String, Long> counts = new java.util.LinkedHashMap<>();
            completed.forEach((outcome, counter) -> counts.put(outcome.tag, (long) counter.count()));
            return new TypeStats((long) submitted.count(), counts, (long) timedOut.count(), TimerStats.of(wait),
                    TimerStats.of(run));
        }
    }
}
