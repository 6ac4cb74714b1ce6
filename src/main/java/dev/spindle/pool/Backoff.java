package dev.spindle.pool;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import dev.spindle.config.JobProperties;

/**
 * Delay before a retry: exponential in the attempt number, capped, with "equal jitter" (half the
 * delay fixed, half random) so that jobs failing together do not retry together.
 */
record Backoff(Duration initial, double multiplier, Duration max) {

    static Backoff of(JobProperties properties) {
        return new Backoff(properties.retryInitialBackoff(), properties.retryMultiplier(),
                properties.retryMaxBackoff());
    }

    /** The delay after the given failed attempt (1 for the first). */
    Duration after(int attempt) {
        double exponential = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
        long capped = (long) Math.min(exponential, max.toMillis());
        long half = capped / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(capped - half + 1));
    }
}
