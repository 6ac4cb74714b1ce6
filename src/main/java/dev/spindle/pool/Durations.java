package dev.spindle.pool;

import java.time.Duration;
import java.time.Instant;

/**
 * Time arithmetic that saturates instead of throwing. A job's instants and timeout come from the
 * store, which may hold values no API would take (a row of an older version, one written by
 * hand): a {@code runAt} centuries away must make a long wait or a large metric, not an
 * {@link ArithmeticException} in the dispatch loop or a timer.
 */
final class Durations {

    /** The longest duration a nanosecond count holds (about 292 years). */
    static final Duration MAX_NANOS = Duration.ofNanos(Long.MAX_VALUE);

    private static final Duration MIN_NANOS = Duration.ofNanos(Long.MIN_VALUE);

    private Durations() {
    }

    /** {@code to - from}, within what {@link Duration#toNanos()} takes. */
    static Duration between(Instant from, Instant to) {
        // a Duration holds any two instants' distance; only its nanoseconds may overflow
        return clamp(Duration.between(from, to));
    }

    /** The duration in nanoseconds, Long.MIN_VALUE or Long.MAX_VALUE beyond them. */
    static long nanos(Duration duration) {
        return clamp(duration).toNanos();
    }

    /** {@code instant + duration}, at {@link Instant#MIN} or {@link Instant#MAX} beyond them. */
    static Instant plus(Instant instant, Duration duration) {
        if (duration.isNegative()) {
            return Duration.between(Instant.MIN, instant).compareTo(duration.negated()) <= 0 ? Instant.MIN
                    : instant.plus(duration);
        }
        return Duration.between(instant, Instant.MAX).compareTo(duration) <= 0 ? Instant.MAX : instant.plus(duration);
    }

    private static Duration clamp(Duration duration) {
        return duration.compareTo(MAX_NANOS) > 0 ? MAX_NANOS : duration.compareTo(MIN_NANOS) < 0 ? MIN_NANOS : duration;
    }
}
