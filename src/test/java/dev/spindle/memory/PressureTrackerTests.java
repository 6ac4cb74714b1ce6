package dev.spindle.memory;

import java.time.Instant;

import dev.spindle.memory.PressureTracker.Reading;
import dev.spindle.memory.PressureTracker.Transition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PressureTrackerTests {

    private static final Instant T0 = Instant.parse("2026-11-28T00:00:00Z");

    private final PressureTracker tracker = new PressureTracker(0.90, 0.80);

    @Test
    void startsAtTheThresholdAndEndsOnlyBelowRecovery() {
        assertThat(tracker.observe(reading("old", 89, 0))).isEqualTo(Transition.NONE);
        assertThat(tracker.state().active()).isFalse();

        assertThat(tracker.observe(reading("old", 90, 1))).isEqualTo(Transition.STARTED);
        assertThat(tracker.state().active()).isTrue();
        assertThat(tracker.state().since()).isEqualTo(T0.plusSeconds(1));

        // between recovery and threshold: no flapping either way
        assertThat(tracker.observe(reading("old", 85, 2))).isEqualTo(Transition.NONE);
        assertThat(tracker.observe(reading("old", 80, 3))).isEqualTo(Transition.NONE);
        assertThat(tracker.observe(reading("old", 95, 4))).isEqualTo(Transition.NONE);
        assertThat(tracker.state().since()).isEqualTo(T0.plusSeconds(1));

        assertThat(tracker.observe(reading("old", 79, 5))).isEqualTo(Transition.ENDED);
        assertThat(tracker.state().active()).isFalse();
        assertThat(tracker.state().since()).isNull();
        assertThat(tracker.observe(reading("old", 85, 6))).isEqualTo(Transition.NONE);
        assertThat(tracker.state().active()).isFalse();

        assertThat(tracker.observe(reading("old", 99, 7))).isEqualTo(Transition.STARTED);
        assertThat(tracker.state().episodes()).isEqualTo(2);
        assertThat(tracker.state().last().fraction()).isEqualTo(0.99);
    }

    @Test
    void everyPoolMustRecoverBeforeThePressureEnds() {
        assertThat(tracker.observe(reading("a", 95, 0))).isEqualTo(Transition.STARTED);
        assertThat(tracker.observe(reading("b", 85, 1))).isEqualTo(Transition.NONE);
        assertThat(tracker.observe(reading("a", 10, 2))).isEqualTo(Transition.NONE);
        assertThat(tracker.observe(reading("b", 50, 3))).isEqualTo(Transition.ENDED);
    }

    @Test
    void aPoolWithoutAKnownMaximumNeverCountsAsFull() {
        assertThat(tracker.observe(new Reading("old", 1_000, 0, T0))).isEqualTo(Transition.NONE);
    }

    @Test
    void recoveryMustBeBelowTheThreshold() {
        assertThatThrownBy(() -> new PressureTracker(0.8, 0.8)).isInstanceOf(IllegalArgumentException.class);
    }

    private static Reading reading(String pool, long percent, long second) {
        return new Reading(pool, percent, 100, T0.plusSeconds(second));
    }
}
