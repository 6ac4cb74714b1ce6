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
     * only the end of the outage is walked (where the runs the misfire policy keeps are), and what
     * lies before it is counted as this many misfires, a lower bound.
     */
    static final int MAX_WALK = 1_000_000;

    /** Whether more than {@link #MAX_WALK} fire times lie from {@code due} to {@code before}. */
    private static boolean beyondWalk(FireTimes times, Instant due, Instant before) {
        Instant at = due;
        for (int i = 0; i < MAX_WALK; i++) {
            if (at == null || !at.isBefore(before)) {
                return false;
            }
            at = times.next(at);
        }
        return at != null && at.isBefore(before);
    }

    /**
     * Where to walk a very long outage from: late enough to walk little, early enough to hold the
     * latest {@code keep} missed fire times (within the window): found by going back from
     * {@code missedBefore} in doubling steps.
     */
    private static @Nullable Instant lateStart(FireTimes times, Instant due, Instant missedBefore, int keep,
            Instant windowStart) {
        if (keep == 0) {
            return firstFrom(times, missedBefore);
        }
        for (Duration back = Duration.ofSeconds(1);; back = back.multipliedBy(2)) {
            Instant from = missedBefore.minus(back);
            if (!from.isAfter(windowStart)) {
                return firstFrom(times, windowStart);
            }
            if (!from.isAfter(due)) {
                return due;
            }
            int found = 0;
            for (Instant at = firstFrom(times, from); at != null && at.isBefore(missedBefore) && found < keep;
                    at = times.next(at)) {
                found++;
            }
            if (found >= keep) {
                return firstFrom(times, from);
            }
        }
    }

    /** The first fire time at or after {@code from}. */
    private static @Nullable Instant firstFrom(FireTimes times, Instant from) {
        return times.next(from.minusNanos(1));
    }

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
        Instant at = due;
        if (beyondWalk(times, due, missedBefore)) {
            // a very long outage: only its end is walked, where the runs to keep are; what lies
            // before is counted as MAX_WALK misfires, a lower bound
            at = lateStart(times, due, missedBefore, keep, windowStart);
            missed = MAX_WALK;
        }
        List<Instant> onTime = new ArrayList<>();
        int walked = 0;
        while (at != null && !at.isAfter(now) && walked++ < MAX_WALK) {
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
            at = times.next(at);
        }
        // (walked out: a grace holding more than MAX_WALK on-time fires; the rest is due at the next tick)
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
