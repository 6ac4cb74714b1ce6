package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The misfire and overlap policies on a schedule every minute, due since {@link #T0} and looked at
 * ten minutes and five seconds later with a grace of ten seconds: T0 to T0+9m were missed, T0+10m
 * is on time.
 */
class FirePlanTests {

    static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

    static final Instant NOW = T0.plus(Duration.ofMinutes(10)).plusSeconds(5);

    static final Duration GRACE = Duration.ofSeconds(10);

    private static ScheduleDefinition every(MisfirePolicy misfire, @Nullable Duration window, int limit,
            OverlapPolicy overlap) {
        return new ScheduleDefinition("0 * * * * *", "UTC", new ScheduledJob("noop", null, null, null, null, null, null),
                misfire, window, limit, overlap);
    }

    private static FirePlan plan(ScheduleDefinition definition, Instant now, boolean previousRunning) {
        return FirePlan.of(definition, definition.fireTimes(), T0, now, GRACE, previousRunning);
    }

    private static Instant minute(int n) {
        return T0.plus(Duration.ofMinutes(n));
    }

    @Test
    void onTimeFiresOnce() {
        FirePlan plan = plan(every(MisfirePolicy.SKIP, null, 10, OverlapPolicy.ALLOW), T0.plusSeconds(2), false);
        assertThat(plan.submit()).containsExactly(T0);
        assertThat(plan.misfiresSkipped()).isZero();
        assertThat(plan.next()).isEqualTo(minute(1));
    }

    @Test
    void lateWithinTheGraceIsStillOnTime() {
        FirePlan plan = plan(every(MisfirePolicy.SKIP, null, 10, OverlapPolicy.ALLOW), T0.plus(GRACE), false);
        assertThat(plan.submit()).containsExactly(T0);
        assertThat(plan.misfiresSkipped()).isZero();
    }

    @Test
    void skipLeavesOutEveryMissedTime() {
        FirePlan plan = plan(every(MisfirePolicy.SKIP, null, 10, OverlapPolicy.ALLOW), NOW, false);
        assertThat(plan.submit()).containsExactly(minute(10));
        assertThat(plan.misfiresSkipped()).isEqualTo(10);
        assertThat(plan.next()).isEqualTo(minute(11));
    }

    @Test
    void runOnceRunsTheLatestMissedTime() {
        FirePlan plan = plan(every(MisfirePolicy.RUN_ONCE, null, 10, OverlapPolicy.ALLOW), NOW, false);
        assertThat(plan.submit()).containsExactly(minute(9), minute(10));
        assertThat(plan.misfiresSkipped()).isEqualTo(9);
    }

    @Test
    void catchUpRunsTheLatestUpToItsLimit() {
        FirePlan plan = plan(every(MisfirePolicy.CATCH_UP, null, 3, OverlapPolicy.ALLOW), NOW, false);
        assertThat(plan.submit()).containsExactly(minute(7), minute(8), minute(9), minute(10));
        assertThat(plan.misfiresSkipped()).isEqualTo(7);
    }

    @Test
    void catchUpRunsOnlyWhatIsInsideItsWindow() {
        // the window reaches back to T0+5m35s: T0+6m to T0+9m
        FirePlan plan = plan(every(MisfirePolicy.CATCH_UP, Duration.ofSeconds(270), 10, OverlapPolicy.ALLOW), NOW, false);
        assertThat(plan.submit()).containsExactly(minute(6), minute(7), minute(8), minute(9), minute(10));
        assertThat(plan.misfiresSkipped()).isEqualTo(6);
    }

    @Test
    void overlapSkipSubmitsNothingWhileThePreviousRunGoesOn() {
        FirePlan plan = plan(every(MisfirePolicy.RUN_ONCE, null, 10, OverlapPolicy.SKIP), NOW, true);
        assertThat(plan.submit()).isEmpty();
        assertThat(plan.overlapsSkipped()).isEqualTo(2);
        assertThat(plan.misfiresSkipped()).isEqualTo(9);
        assertThat(plan.next()).isEqualTo(minute(11));
    }

    @Test
    void overlapSkipRunsTheFirstOfSeveralAndSkipsTheRest() {
        FirePlan plan = plan(every(MisfirePolicy.CATCH_UP, null, 3, OverlapPolicy.SKIP), NOW, false);
        assertThat(plan.submit()).containsExactly(minute(7));
        assertThat(plan.overlapsSkipped()).isEqualTo(3);
    }

    @Test
    void cancelPreviousCancelsTheRunningOneAndSubmitsTheLast() {
        FirePlan plan = plan(every(MisfirePolicy.CATCH_UP, null, 3, OverlapPolicy.CANCEL_PREVIOUS), NOW, true);
        assertThat(plan.cancelPrevious()).isTrue();
        assertThat(plan.submit()).containsExactly(minute(10));
        assertThat(plan.overlapsSkipped()).isEqualTo(3);
        assertThat(plan(every(MisfirePolicy.SKIP, null, 10, OverlapPolicy.CANCEL_PREVIOUS), NOW, false).cancelPrevious())
            .isFalse();
    }

    @Test
    void allowSubmitsBesideARunningPrevious() {
        FirePlan plan = plan(every(MisfirePolicy.RUN_ONCE, null, 10, OverlapPolicy.ALLOW), NOW, true);
        assertThat(plan.submit()).containsExactly(minute(9), minute(10));
        assertThat(plan.overlapsSkipped()).isZero();
        assertThat(plan.cancelPrevious()).isFalse();
    }

    @Test
    void aVeryLongOutageStillRunsTheLatestMissedTimes() {
        // every second, down for 20 days: run_once runs the latest missed time, catch_up the latest
        // three within its window, as after a short outage
        Instant now = T0.plus(Duration.ofDays(20));
        Instant lastMissed = now.minus(GRACE).minusSeconds(1);
        ScheduleDefinition once = new ScheduleDefinition("* * * * * *", "UTC",
                new ScheduledJob("noop", null, null, null, null, null, null), MisfirePolicy.RUN_ONCE, null, 10,
                OverlapPolicy.ALLOW);
        FirePlan plan = FirePlan.of(once, once.fireTimes(), T0, now, GRACE, false);
        assertThat(plan.submit().getFirst()).isEqualTo(lastMissed);
        assertThat(plan.submit()).hasSize(12);
        assertThat(plan.misfiresSkipped()).isGreaterThanOrEqualTo(FirePlan.MAX_WALK);

        ScheduleDefinition windowed = new ScheduleDefinition("* * * * * *", "UTC",
                new ScheduledJob("noop", null, null, null, null, null, null), MisfirePolicy.CATCH_UP,
                Duration.ofMinutes(1), 3, OverlapPolicy.ALLOW);
        FirePlan caught = FirePlan.of(windowed, windowed.fireTimes(), T0, now, GRACE, false);
        assertThat(caught.submit().subList(0, 3)).containsExactly(lastMissed.minusSeconds(2), lastMissed.minusSeconds(1),
                lastMissed);
        assertThat(caught.next()).isEqualTo(now.plusSeconds(1));
    }

    @Test
    void aVeryLongOutageIsWalkedOnlySoFar() {
        // a schedule every second, down for 20 days: 1.7 million fire times missed
        ScheduleDefinition everySecond = new ScheduleDefinition("* * * * * *", "UTC",
                new ScheduledJob("noop", null, null, null, null, null, null), MisfirePolicy.SKIP, null, 10,
                OverlapPolicy.ALLOW);
        Instant now = T0.plus(Duration.ofDays(20));
        FirePlan plan = FirePlan.of(everySecond, everySecond.fireTimes(), T0, now, GRACE, false);
        assertThat(plan.misfiresSkipped()).as("a lower bound").isEqualTo(FirePlan.MAX_WALK);
        assertThat(plan.submit()).hasSize(11).allSatisfy(at -> assertThat(at).isBetween(now.minus(GRACE), now));
        assertThat(plan.next()).isEqualTo(now.plusSeconds(1));
        assertThat(List.copyOf(plan.submit())).isSorted();
    }
}
