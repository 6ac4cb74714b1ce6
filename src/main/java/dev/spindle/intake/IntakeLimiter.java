package dev.spindle.intake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.LongSupplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.spindle.config.IntakeProperties;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Rate limits intake per client: one Resilience4j rate limiter per client, all configured by the
 * shared config {@value #CONFIG_NAME} ({@code resilience4j.ratelimiter.configs.intake.*}), held in a
 * cache bounded by {@code spindle.intake.max-clients}.
 * <p>
 * The limiters are deliberately not in the {@link RateLimiterRegistry}: there may be thousands, and
 * the registry never forgets one. Forgetting a client (evicted for room, or idle for a whole refresh
 * period) only forgets its current window: at worst it gets a fresh allowance one period early.
 * Limits are per instance; a cluster of N instances admits up to N times the limit from one client.
 */
@Component
public class IntakeLimiter {

    /** The name of the Resilience4j rate limiter config that sets the per-client limit. */
    public static final String CONFIG_NAME = "intake";

    private static final Logger log = LoggerFactory.getLogger(IntakeLimiter.class);

    private static final Decision UNLIMITED = new Decision(true, Integer.MAX_VALUE, Integer.MAX_VALUE,
            Duration.ZERO, Duration.ZERO);

    private final boolean enabled;

    private final RateLimiterConfig config;

    private final Cache<String, Window> clients;

    private final LongSupplier nanoTime;

    private final Counter refused;

    @Autowired
    IntakeLimiter(IntakeProperties properties, RateLimiterRegistry registry, MeterRegistry meters) {
        this(properties, configured(registry), meters, System::nanoTime);
    }

    IntakeLimiter(IntakeProperties properties, RateLimiterConfig config, MeterRegistry meters, LongSupplier nanoTime) {
        this.enabled = properties.enabled();
        if (config.getTimeoutDuration().isPositive()) {
            log.warn("resilience4j.ratelimiter.configs.{}.timeout-duration ({}) is ignored: intake never waits for a "
                    + "permit, a refused client is told when to retry", CONFIG_NAME, config.getTimeoutDuration());
        }
        // never wait for a permit: a refused client is told when to come back instead of holding a thread
        this.config = RateLimiterConfig.from(config).timeoutDuration(Duration.ZERO).build();
        this.nanoTime = nanoTime;
        // a client idle for a whole period would find its window refilled anyway, so dropping it then loses nothing
        this.clients = Caffeine.newBuilder()
            .maximumSize(properties.maxClients())
            .expireAfterAccess(this.config.getLimitRefreshPeriod())
            .ticker(nanoTime::getAsLong)
            .build();
        this.refused = Counter.builder("spindle.intake.refused")
            .description("Requests refused by the per-client intake rate limit")
            .register(meters);
        Gauge.builder("spindle.intake.clients", clients, Cache::estimatedSize)
            .description("Clients whose intake rate limit window is remembered")
            .register(meters);
        if (enabled) {
            log.info("Intake is limited to {} requests per {} per client, remembering at most {} clients",
                    this.config.getLimitForPeriod(), this.config.getLimitRefreshPeriod(), properties.maxClients());
        }
    }

    /**
     * Takes one permit for a client, without waiting.
     *
     * @param client who is asking, namespaced by how it was identified (e.g. {@code "key:" + apiKey} or
     * {@code "addr:" + address}); any length, kept only as a fixed-size digest
     * @return whether the request may proceed, and the state of the client's window
     */
    public Decision acquire(String client) {
        if (!enabled) {
            return UNLIMITED;
        }
        Window window = clients.get(digest(client), this::open);
        boolean permitted = window.limiter().acquirePermission();
        if (!permitted) {
            refused.increment();
        }
        AtomicRateLimiter.AtomicRateLimiterMetrics metrics = window.limiter().getDetailedMetrics();
        // a refused acquire takes nothing, so the limiter's own wait for one permit is the time to the next window
        long untilReset = permitted ? window.nanosToNextCycle(nanoTime.getAsLong()) : metrics.getNanosToWait();
        return new Decision(permitted, config.getLimitForPeriod(), Math.max(0, metrics.getAvailablePermissions()),
                Duration.ofNanos(Math.max(0, untilReset)), config.getLimitRefreshPeriod());
    }

    /** Whether intake is rate limited at all ({@code spindle.intake.enabled}). */
    public boolean enabled() {
        return enabled;
    }

    /** Drops expired and evicted clients now; normally that happens in the background. */
    void cleanUp() {
        clients.cleanUp();
    }

    long clientCount() {
        return clients.estimatedSize();
    }

    private Window open(String name) {
        long start = nanoTime.getAsLong();
        return new Window(new AtomicRateLimiter(name, config, Map.of(), nanoTime::getAsLong), start,
                config.getLimitRefreshPeriod().toNanos());
    }

    private static RateLimiterConfig configured(RateLimiterRegistry registry) {
        return registry.getConfiguration(CONFIG_NAME).orElseGet(() -> {
            log.error("No rate limiter config '{}' (resilience4j.ratelimiter.configs.{}.*): intake falls back to the "
                    + "default rate limiter config, {} requests per {} per client", CONFIG_NAME, CONFIG_NAME,
                    registry.getDefaultConfig().getLimitForPeriod(), registry.getDefaultConfig().getLimitRefreshPeriod());
            return registry.getDefaultConfig();
        });
    }

    /** A fixed-size name for any client string, so that a long or secret header is neither kept nor costly. */
    private static String digest(String client) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(client.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("Every JDK has SHA-256", ex);
        }
    }

    /**
     * The outcome of {@link #acquire(String)}, with what the RateLimit and Retry-After headers need.
     *
     * @param permitted whether the request may proceed
     * @param limit requests per period per client
     * @param remaining permits left in the current window
     * @param reset time until the window refills; when refused, how long to wait before retrying
     * @param period the length of a window
     */
    public record Decision(boolean permitted, int limit, int remaining, Duration reset, Duration period) {

        /** {@link #reset()} in whole seconds, rounded up and at least 1, as Retry-After and RateLimit-Reset take it. */
        public long resetSeconds() {
            return Math.max(1, (reset.toNanos() + 999_999_999) / 1_000_000_000);
        }

        /** Says why a request was refused, for a problem detail or a RESP error. */
        public String message() {
            return "This client may make " + limit + " requests per " + period + "; retry in " + resetSeconds() + " s";
        }
    }

    /**
     * One client's limiter. An {@link AtomicRateLimiter}'s windows start at its creation, so {@code start}
     * gives the time to the next one while permits remain (the limiter only says so once none do).
     */
    private record Window(AtomicRateLimiter limiter, long start, long period) {

        long nanosToNextCycle(long now) {
            return period - Math.floorMod(now - start, period);
        }
    }
}
