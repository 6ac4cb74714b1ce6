package dev.spindle.pool;

import java.time.Duration;

import org.junit.jupiter.api.RepeatedTest;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTests {

    private final Backoff backoff = new Backoff(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(30));

    @RepeatedTest(20)
    void growsExponentiallyWithinEqualJitter() {
        assertThat(backoff.after(1)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
        assertThat(backoff.after(2)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(backoff.after(4)).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(8));
    }

    @RepeatedTest(20)
    void isCappedAtTheMaximum() {
        assertThat(backoff.after(30)).isBetween(Duration.ofSeconds(15), Duration.ofSeconds(30));
    }
}
