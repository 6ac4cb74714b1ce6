package dev.spindle.memory;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Memory pressure with hysteresis, from what the tenured heap pools hold after each collection:
 * pressure starts when one of them holds at least {@code threshold} of its maximum and ends when
 * every one holds less than {@code recovery}. Between the two nothing changes, so the node does not
 * flap at the boundary. Readings come from the JMX notification thread; readers see a snapshot.
 */
final class PressureTracker {

    private final double threshold;

    private final double recovery;

    /** The latest reading of each pool, by pool name. */
    private final Map<String, Reading> latest = new HashMap<>();

    private volatile State state = new State(false, null, null, 0);

    PressureTracker(double threshold, double recovery) {
        if (!(recovery < threshold)) {
            throw new IllegalArgumentException("recovery " + recovery + " must be below threshold " + threshold);
        }
        this.threshold = threshold;
        this.recovery = recovery;
    }

    /** Takes one pool's usage after a collection; answers whether that started or ended pressure. */
    synchronized Transition observe(Reading reading) {
        latest.put(reading.pool(), reading);
        State now = state;
        if (!now.active() && reading.fraction() >= threshold) {
            state = new State(true, reading.at(), reading, now.episodes() + 1);
            return Transition.STARTED;
        }
        if (now.active() && latest.values().stream().allMatch(each -> each.fraction() < recovery)) {
            state = new State(false, null, reading, now.episodes());
            return Transition.ENDED;
        }
        state = new State(now.active(), now.since(), reading, now.episodes());
        return Transition.NONE;
    }

    State state() {
        return state;
    }

    double threshold() {
        return threshold;
    }

    double recovery() {
        return recovery;
    }

    enum Transition {
        NONE, STARTED, ENDED
    }

    /**
     * What a tenured pool held after a collection.
     *
     * @param used bytes in use after the collection
     * @param max the pool's maximum size in bytes
     */
    record Reading(String pool, long used, long max, Instant at) {

        double fraction() {
            return max <= 0 ? 0 : (double) used / max;
        }
    }

    /**
     * @param active whether the node is under pressure
     * @param since when the current pressure started
     * @param last the latest reading of any pool
     * @param episodes how many times pressure has started since the monitor did
     */
    record State(boolean active, @Nullable Instant since, @Nullable Reading last, long episodes) {
    }
}
