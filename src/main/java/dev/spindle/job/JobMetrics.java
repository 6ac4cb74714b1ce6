package dev.spindle.job;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * The job meters, registered once per job type at start so that recording looks nothing up by
 * name: {@code spindle.jobs.submitted{type}}, {@code spindle.jobs.completed{type,outcome}}, and the
 * timers {@code spindle.jobs.wait{type}} (runAt, or the end of the last attempt, to start) and
 * {@code spindle.jobs.run{type}} (one attempt), both with percentile histograms. Tags are bounded:
 * the registered types (and {@code other}) and the {@link Outcome}s.
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

    JobMetrics(JobHandlers handlers, MeterRegistry registry) {
        for (JobHandler handler : handlers.all()) {
            byType.put(handler.type(), new TypeMeters(handler.type(), registry));
        }
        this.other = new TypeMeters(OTHER, registry);
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

    private TypeMeters meters(String type) {
        TypeMeters meters = byType.get(type);
        return meters == null ? other : meters;
    }

    private static final class TypeMeters {

        final Counter submitted;

        final Map<Outcome, Counter> completed = new EnumMap<>(Outcome.class);

        final Timer wait;

        final Timer run;

        TypeMeters(String type, MeterRegistry registry) {
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
    }
}
