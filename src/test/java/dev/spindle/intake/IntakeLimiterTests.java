package dev.spindle.intake;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.spindle.config.IntakeProperties;
import dev.spindle.intake.IntakeLimiter.Decision;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-client limiter on a clock the test moves. */
class IntakeLimiterTests {

    private static final RateLimiterConfig TWO_PER_10S = RateLimiterConfig.custom()
        .limitForPeriod(2)
        .limitRefreshPeriod(Duration.ofSeconds(10))
        .timeoutDuration(Duration.ZERO)
        .build();

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Test
    void permitsUpToTheLimitThenRefusesUntilTheNextWindow() {
        IntakeLimiter limiter = limiter(10_000, TWO_PER_10S);

        Decision first = limiter.acquire("key:a");
        Decision second = limiter.acquire("key:a");
        advance(Duration.ofSeconds(3));
        Decision refused = limiter.acquire("key:a");

        assertThat(first.permitted()).isTrue();
        assertThat(first.remaining()).isEqualTo(1);
        assertThat(first.limit()).isEqualTo(2);
        assertThat(first.reset()).isEqualTo(Duration.ofSeconds(10));
        assertThat(second.permitted()).isTrue();
        assertThat(second.remaining()).isZero();
        assertThat(refused.permitted()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.reset()).isEqualTo(Duration.ofSeconds(7));
        assertThat(refused.resetSeconds()).isEqualTo(7);
        assertThat(refused.message()).isEqualTo("This client may make 2 requests per PT10S; retry in 7 s");
        assertThat(meters.counter("spindle.intake.refused").count()).isEqualTo(1);

        advance(Duration.ofSeconds(7));
        assertThat(limiter.acquire("key:a").permitted()).isTrue();
    }

    @Test
    void refusedRequestsDoNotPushTheWindowBack() {
        IntakeLimiter limiter = limiter(10_000, TWO_PER_10S);
        limiter.acquire("key:a");
        limiter.acquire("key:a");

        for (int i = 0; i < 100; i++) {
            assertThat(limiter.acquire("key:a").permitted()).isFalse();
        }
        advance(Duration.ofSeconds(10));

        assertThat(limiter.acquire("key:a").permitted()).isTrue();
    }

    @Test
    void eachClientHasItsOwnWindow() {
        IntakeLimiter limiter = limiter(10_000, TWO_PER_10S);
        limiter.acquire("key:a");
        limiter.acquire("key:a");

        assertThat(limiter.acquire("key:a").permitted()).isFalse();
        assertThat(limiter.acquire("key:b").permitted()).isTrue();
        assertThat(limiter.acquire("addr:127.0.0.1").permitted()).isTrue();
    }

    @Test
    void retryAfterIsAtLeastOneSecond() {
        IntakeLimiter limiter = limiter(10_000, RateLimiterConfig.custom()
            .limitForPeriod(1)
            .limitRefreshPeriod(Duration.ofMillis(100))
            .build());
        limiter.acquire("key:a");

        Decision refused = limiter.acquire("key:a");

        assertThat(refused.permitted()).isFalse();
        assertThat(refused.reset()).isEqualTo(Duration.ofMillis(100));
        assertThat(refused.resetSeconds()).isEqualTo(1);
    }

    @Test
    void neverWaitsForAPermitEvenWhenTheConfigSaysTo() {
        // with this timeout Resilience4j itself would park the caller until the next window and then permit
        IntakeLimiter limiter = limiter(10_000, RateLimiterConfig.custom()
            .limitForPeriod(1)
            .limitRefreshPeriod(Duration.ofSeconds(1))
            .timeoutDuration(Duration.ofSeconds(5))
            .build());
        limiter.acquire("key:a");

        Decision refused = limiter.acquire("key:a");

        assertThat(refused.permitted()).isFalse();
        assertThat(refused.resetSeconds()).isEqualTo(1);
    }

    @Test
    void remembersAtMostMaxClients() {
        IntakeLimiter limiter = limiter(100, TWO_PER_10S);

        for (int i = 0; i < 10_000; i++) {
            limiter.acquire("key:client-" + i);
        }
        limiter.cleanUp();

        assertThat(limiter.clientCount()).isLessThanOrEqualTo(100);
        assertThat(meters.get("spindle.intake.clients").gauge().value()).isLessThanOrEqualTo(100);
    }

    @Test
    void forgetsAClientIdleForAWholePeriod() {
        IntakeLimiter limiter = limiter(10_000, TWO_PER_10S);
        limiter.acquire("key:a");
        limiter.acquire("key:b");

        advance(Duration.ofSeconds(10));
        limiter.cleanUp();

        assertThat(limiter.clientCount()).isZero();
    }

    @Test
    void aLongClientNameCostsOnlyItsDigest() {
        IntakeLimiter limiter = limiter(10_000, TWO_PER_10S);
        String huge = "k".repeat(1_000_000);

        limiter.acquire("key:" + huge);
        limiter.acquire("key:" + huge);

        assertThat(limiter.acquire("key:" + huge).permitted()).isFalse();
        assertThat(limiter.acquire("key:" + huge + "!").permitted()).isTrue();
    }

    @Test
    void takesTheIntakeConfigFromTheRegistry() {
        RateLimiterRegistry registry = RateLimiterRegistry.of(Map.of(IntakeLimiter.CONFIG_NAME, TWO_PER_10S));

        IntakeLimiter limiter = new IntakeLimiter(properties(true, 10_000), registry, meters);

        assertThat(limiter.acquire("key:a").limit()).isEqualTo(2);
        assertThat(registry.getAllRateLimiters()).isEmpty();
    }

    @Test
    void fallsBackToTheRegistryDefaultWithoutAnIntakeConfig() {
        RateLimiterRegistry registry = RateLimiterRegistry.ofDefaults();

        IntakeLimiter limiter = new IntakeLimiter(properties(true, 10_000), registry, meters);

        assertThat(limiter.acquire("key:a").limit()).isEqualTo(registry.getDefaultConfig().getLimitForPeriod());
    }

    @Test
    void permitsEverythingWhenDisabled() {
        IntakeLimiter limiter = new IntakeLimiter(properties(false, 10_000), TWO_PER_10S, meters, nanos::get);

        for (int i = 0; i < 10; i++) {
            assertThat(limiter.acquire("key:a").permitted()).isTrue();
        }
        assertThat(limiter.enabled()).isFalse();
        assertThat(limiter.clientCount()).isZero();
    }

    private IntakeLimiter limiter(int maxClients, RateLimiterConfig config) {
        return new IntakeLimiter(properties(true, maxClients), config, meters, nanos::get);
    }

    private static IntakeProperties properties(boolean enabled, int maxClients) {
        return new IntakeProperties(enabled, maxClients);
    }

    private void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }
}
