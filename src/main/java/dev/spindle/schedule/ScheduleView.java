package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;

/**
 * A schedule as the API shows it: its definition, whether it is paused, its next fire times, its
 * last fire and what became of that job, and its counts.
 *
 * @param nextFireTimes the next five (none while paused)
 * @param lastFire null before the first
 * @param submittedBy see {@link Schedule#submittedBy()}
 */
public record ScheduleView(
        String name,
        String cron,
        String zone,
        ScheduledJob job,
        MisfirePolicy misfire,
        @Nullable Duration catchUpWindow,
        int catchUpLimit,
        OverlapPolicy overlap,
        boolean paused,
        ScheduleSource source,
        List<Instant> nextFireTimes,
        @Nullable LastFire lastFire,
        ScheduleCounts counts,
        Instant createdAt,
        Instant updatedAt,
        @Nullable String submittedBy) {

    static final int NEXT_FIRE_TIMES = 5;

    /**
     * @param at the fire time (or the trigger time) of the job
     * @param jobState null when the job is gone (retention deleted it)
     */
    public record LastFire(Instant at, @Nullable String jobId, @Nullable JobState jobState) {
    }

    static ScheduleView of(Schedule schedule, @Nullable JobState lastJobState) {
        ScheduleDefinition definition = schedule.definition();
        List<Instant> next = schedule.paused() || schedule.nextFireAt() == null ? List.of()
                : nextFrom(definition.fireTimes(), schedule.nextFireAt());
        LastFire last = schedule.lastFireAt() == null ? null
                : new LastFire(schedule.lastFireAt(), schedule.lastJobId(), lastJobState);
        return new ScheduleView(schedule.name(), definition.cron(), definition.zone(), definition.job(),
                definition.misfire(), definition.catchUpWindow(), definition.catchUpLimit(), definition.overlap(),
                schedule.paused(), schedule.source(), next, last, schedule.counts(), schedule.createdAt(),
                schedule.updatedAt(), schedule.submittedBy());
    }

    private static List<Instant> nextFrom(FireTimes times, Instant first) {
        List<Instant> next = new java.util.ArrayList<>(NEXT_FIRE_TIMES);
        next.add(first);
        next.addAll(times.next(first, NEXT_FIRE_TIMES - 1));
        return next;
    }
}
