package dev.spindle.schedule;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.scheduling.support.CronExpression;

/**
 * When a schedule fires: each wall-clock time its cron expression matches in its zone, once.
 * Spring's {@link CronExpression} finds the matches in local time; this class turns them into
 * instants. A local time that does not exist (the gap when clocks spring forward) fires at the
 * first instant after the gap; one that happens twice (the hour repeated when they fall back) fires
 * at its first occurrence only. ({@code CronExpression} over a {@code ZonedDateTime} does neither:
 * it skips a time in the gap for that day and fires twice in the repeated hour.)
 *
 * <p>So an hourly schedule fires 23 times on a spring-forward day (02:00 and 03:00 are one instant)
 * and 24 on a fall-back day (02:00 once, two hours before 03:00): every wall-clock hour once.
 */
public final class FireTimes {

    private final CronExpression cron;

    private final ZoneId zone;

    private FireTimes(CronExpression cron, ZoneId zone) {
        this.cron = cron;
        this.zone = zone;
    }

    /**
     * @param cron six fields (seconds first), five (Unix cron: seconds 0), or a macro such as
     *        {@code @hourly}
     * @throws IllegalArgumentException naming what is wrong with the expression
     */
    public static FireTimes of(String cron, ZoneId zone) {
        return new FireTimes(CronExpression.parse(sixFields(cron)), zone);
    }

    /** The expression as {@link CronExpression} reads it: a five-field Unix one gets seconds 0. */
    static String sixFields(String cron) {
        String trimmed = cron.strip();
        return !trimmed.startsWith("@") && trimmed.split("\\s+").length == 5 ? "0 " + trimmed : trimmed;
    }

    /** The first fire time after {@code after}, or null when the expression matches no later time. */
    public @Nullable Instant next(Instant after) {
        // the wall-clock time `after` shows: in a repeated hour's second pass, the times of the first
        // pass that follow it resolve to instants before `after`, and are passed over
        LocalDateTime match = cron.next(LocalDateTime.ofInstant(after, zone));
        while (match != null) {
            Instant at = instant(match);
            if (at.isAfter(after)) {
                return at;
            }
            match = cron.next(match);
        }
        return null;
    }

    /** Up to {@code count} fire times after {@code after}, in order. */
    public List<Instant> next(Instant after, int count) {
        List<Instant> times = new ArrayList<>(count);
        Instant at = after;
        while (times.size() < count && (at = next(at)) != null) {
            times.add(at);
        }
        return times;
    }

    private Instant instant(LocalDateTime local) {
        ZoneOffsetTransition transition = zone.getRules().getTransition(local);
        if (transition == null) {
            return local.atZone(zone).toInstant();
        }
        return transition.isGap() ? transition.getInstant() : local.toInstant(transition.getOffsetBefore());
    }
}
