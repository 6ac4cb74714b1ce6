package dev.spindle.schedule;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * A schedule as it is created or replaced over REST, or configured under
 * {@code spindle.schedules.<name>}. Absent fields take the defaults: zone {@code UTC}, misfire
 * {@code run_once}, overlap {@code skip}, catch-up limit 10.
 *
 * @param name the schedule's name (REST create only: configuration and PUT take it from the key or path)
 * @param cron six fields (seconds first), five (Unix cron), or a macro such as {@code @hourly}
 * @param zone an IANA time zone id such as {@code Europe/Berlin}
 * @param misfire {@code skip}, {@code run_once} or {@code catch_up}: see {@link MisfirePolicy}
 * @param catchUpWindow under {@code catch_up}, how far back missed fire times are still run
 * @param catchUpLimit under {@code catch_up}, how many missed fire times are run at most (the latest)
 * @param overlap {@code allow}, {@code skip} or {@code cancel_previous}: see {@link OverlapPolicy}
 */
public record ScheduleRequest(
        @Nullable String name,
        @Nullable String cron,
        @Nullable String zone,
        @Nullable ScheduledJob job,
        @Nullable String misfire,
        @Nullable Duration catchUpWindow,
        @Nullable Integer catchUpLimit,
        @Nullable String overlap) {
}
