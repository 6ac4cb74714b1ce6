package dev.spindle.security;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.spindle.config.SecurityProperties;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.stereotype.Component;

/**
 * Counts failed authentications per client address, over REST and RESP alike: an address that
 * failed {@code spindle.security.auth-failures.limit} times in a period may not try again until the
 * period ends, so a key cannot be guessed at speed. One Resilience4j rate limiter per address,
 * whose permits are failures; the addresses in a bounded cache.
 */
@Component
public class AuthFailures {

    private final RateLimiterConfig config;

    private final Cache<String, AtomicRateLimiter> addresses;

    private final Counter failures;

    private final Counter refused;

    AuthFailures(SecurityProperties properties, MeterRegistry meters) {
        SecurityProperties.AuthFailures limits = properties.authFailures();
        this.config = RateLimiterConfig.custom()
            .limitForPeriod(limits.limit())
            .limitRefreshPeriod(limits.period())
            .timeoutDuration(Duration.ZERO)
            .build();
        // an address idle for a whole period has its allowance back anyway
        this.addresses = Caffeine.newBuilder()
            .maximumSize(limits.maxClients())
            .expireAfterAccess(limits.period())
            .build();
        this.failures = Counter.builder("spindle.auth.failures")
            .description("Failed authentications (a wrong API key or JWT, REST and RESP)")
            .register(meters);
        this.refused = Counter.builder("spindle.auth.refused")
            .description("Authentications not tried because the address failed too often")
            .register(meters);
    }

    /**
     * Whether {@code address} may try to authenticate now.
     *
     * @return empty if it may; else how long until it may
     */
    public Optional<Duration> refusal(String address) {
        AtomicRateLimiter limiter = addresses.getIfPresent(address);
        if (limiter == null || limiter.getDetailedMetrics().getAvailablePermissions() > 0) {
            return Optional.empty();
        }
        refused.increment();
        return Optional.of(Duration.ofNanos(Math.max(0, limiter.getDetailedMetrics().getNanosToWait())));
    }

    /** Counts one failed authentication from {@code address}. */
    public void failed(String address) {
        failures.increment();
        addresses.get(address, name -> new AtomicRateLimiter(name, config, Map.of())).acquirePermission();
    }

    /** The answer to a refused address, for a problem detail or a RESP error. */
    public String message(Duration retryAfter) {
        return "Too many failed authentications from this address (" + config.getLimitForPeriod() + " per "
                + config.getLimitRefreshPeriod() + "); retry in " + seconds(retryAfter) + " s";
    }

    /** Whole seconds, rounded up, at least 1: Retry-After's unit. */
    public static long seconds(Duration duration) {
        return Math.max(1, (duration.toNanos() + 999_999_999) / 1_000_000_000);
    }
}
