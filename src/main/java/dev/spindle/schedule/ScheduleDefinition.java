package dev.spindle.schedule;

import java.time.Duration;
import java.time.ZoneId;

import org.jspecify.annotations.Nullable;

/**
 * A schedule's definition once validated, with its defaults applied: what the store keeps (as
 * JSON) and every node fires from.
 *
 * @param catchUpWindow null for no window (the limit alone bounds a catch-up)
 */
public record ScheduleDefinition(
        String cron,
        String zone,
        ScheduledJob job,
        MisfirePolicy misfire,
        @Nullable Duration catchUpWindow,
        int catchUpLimit,
        OverlapPolicy overlap) {

    public FireTimes fireTimes() {
        return FireTimes.of(cron, ZoneId.of(zone));
    }

    /** Whether the two fire at the same times (so a change between them keeps the next fire time). */
    boolean sameTimes(ScheduleDefinition other) {
        return cron.equals(other.cron) && zone.equals(other.zone);
    }
}
