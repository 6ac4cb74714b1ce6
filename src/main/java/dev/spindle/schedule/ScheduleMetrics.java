package dev.spindle.schedule;

import java.time.Duration;

import dev.spindle.store.ScheduleStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * {@code spindle.schedules.fires} (this node's fires, tagged {@code schedule} and {@code outcome}:
 * {@code fired}, {@code triggered}, {@code misfire_skipped}, {@code overlap_skipped},
 * {@code previous_cancelled}); {@code spindle.schedules.lag} (how long after its fire time a job was
 * submitted); {@code spindle.schedules.count} (schedules in the store, tagged {@code state}:
 * {@code active} or {@code paused}).
 */
@Component
class ScheduleMetrics {

    private final MeterRegistry registry;

    ScheduleMetrics(MeterRegistry registry, ScheduleStore store) {
        this.registry = registry;
        for (boolean paused : new boolean[] { false, true }) {
            Gauge.builder("spindle.schedules.count", store, schedules -> count(schedules, paused))
                .tag("state", paused ? "paused" : "active")
                .description("Schedules in the store, seen by every node")
                .register(registry);
        }
    }

    private static double count(ScheduleStore store, boolean paused) {
        try {
            return store.countSchedules(paused);
        }
        catch (RuntimeException ex) {
            // the store's own health and metrics say it is down
            return Double.NaN;
        }
    }

    void fired(String schedule, ScheduleCounts counts) {
        add(schedule, "fired", counts.fires());
        add(schedule, "triggered", counts.triggers());
        add(schedule, "misfire_skipped", counts.misfiresSkipped());
        add(schedule, "overlap_skipped", counts.overlapsSkipped());
        add(schedule, "previous_cancelled", counts.previousCancelled());
    }

    void lag(String schedule, Duration lag) {
        Timer.builder("spindle.schedules.lag")
            .tag("schedule", schedule)
            .description("How long after its fire time a schedule's job was submitted")
            .register(registry)
            .record(lag.isNegative() ? Duration.ZERO : lag);
    }

    private void add(String schedule, String outcome, long count) {
        if (count > 0) {
            Counter.builder("spindle.schedules.fires")
                .tag("schedule", schedule)
                .tag("outcome", outcome)
                .description("What this node's fires of a schedule did")
                .register(registry)
                .increment(count);
        }
    }
}
