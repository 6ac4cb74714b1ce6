package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What one tick does with a due schedule: which fire times get a job, how many are left out under
 * the misfire and overlap policies, whether the previous run is cancelled, and the next fire time.
 * A pure function of the schedule, the previous run's state and now.
 *
 * @param submit the fire times that get a job, in order
 * @param next the first fire time after now (null: none)
 */
record FirePlan(List<Instant> submit, long misfiresSkipped, long overlapsSkipped, boolean cancelPrevious,
        @Nullable Instant next) {

    /**
     * Most fire times one plan walks. A schedule every second down for over eleven days has more:
     * the rest are counted as skipped misfires without being walked (the count is then a lower
     * bound), and a catch-up takes its runs from those walked.
     */
    static final int MAX_WALK = 1_000_000;

    /**
     * @param due the schedule's earliest unfired fire time, at or before {@code now}
     * @param previousRunning whether the schedule's last job has not ended
     * @param grace how late a fire time may be fired and still count as on time, not missed
     */
    static FirePlan of(ScheduleDefinition definition, FireTimes times, Instant due, Instant now, Duration grace,
            boolean previousRunning) {
        Instant missedBefore = now.minus(grace);
        Instant windowStart = definition.catchUpWindow() == null ? Instant.MIN : now.minus(definition.catchUpWindow());
        int keep = switch (definition.misfire()) {
            case SKIP -> 0;
            case RUN_ONCE -> 1;
            case CATCH_UP -> definition.catchUpLimit();
        };
        Deque<Instant> kept = new ArrayDeque<>();
        long missed = 0;
        List<Instant> onTime = new ArrayList<>();
        Instant at = due;
        int walked = 0;
        while (at != null && !at.isAfter(now)) {
            if (at.isBefore(missedBefore)) {
                missed++;
                if (keep > 0 && !at.isBefore(windowStart)) {
                    kept.addLast(at);
                    if (kept.size() > keep) {
                        kept.removeFirst();
                    }
                }
            }
            else {
                onTime.add(at);
            }
            if (++walked == MAX_WALK && at.isBefore(missedBefore)) {
                // the rest of the missed ones are left out, counted as one
                missed++;
                at = times.next(missedBefore.minusNanos(1));
                continue;
            }
            at = times.next(at);
        }
        List<Instant> runs = new ArrayList<>(kept);
        runs.addAll(onTime);
        long misfiresSkipped = missed - kept.size();
        if (runs.isEmpty()) {
            return new FirePlan(List.of(), misfiresSkipped, 0, false, at);
        }
        return switch (definition.overlap()) {
            case ALLOW -> new FirePlan(runs, misfiresSkipped, 0, false, at);
            // the first run overlaps the rest of this tick's, as a previous one still running would
            case SKIP -> previousRunning ? new FirePlan(List.of(), misfiresSkipped, runs.size(), false, at)
                    : new FirePlan(List.of(runs.getFirst()), misfiresSkipped, runs.size() - 1, false, at);
            // each would cancel the one before it: only the last is submitted
            case CANCEL_PREVIOUS -> new FirePlan(List.of(runs.getLast()), misfiresSkipped, runs.size() - 1,
                    previousRunning, at);
        };
    }
}
