package dev.spindle.downstream;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.spindle.config.DownstreamProperties;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.EventProcessor;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/**
 * Issue 4, benchmark 1: what Resilience4j's guards cost per call, around a call that does nothing.
 *
 * <ul>
 * <li>{@code bare}: the call alone.</li>
 * <li>{@code guarded}: {@link Downstream#guarded} itself, on instances configured like the defaults in
 * application.yml, built with the plain registries; the only event listener is the one
 * {@link Downstream}'s constructor adds (breaker state transitions).</li>
 * <li>{@code guardedAppInstances}: {@link Downstream#guarded} on the instances Spring Boot's
 * Resilience4j auto-configuration builds from the jar's real application.yml, with whatever it
 * attaches to them (the event buffers behind {@code /actuator/*events}, Micrometer metrics).</li>
 * <li>{@code guardsNoListeners}: the same static nesting as {@link Downstream#guarded}, copied, on
 * instances without any event listener: Resilience4j's floor.</li>
 * <li>{@code onlyBreaker}, {@code onlyBulkhead}, {@code onlyRateLimiter}, {@code onlyRetry}: one guard
 * each, without listeners, the rate limiter unlimited: where the time of the stack goes.</li>
 * </ul>
 *
 * <p>Each guarded variant runs twice, with the rate limiter's {@code limit-for-period} of
 * application.yml (1,000,000 per second, "no limit") and with {@link Integer#MAX_VALUE}: a loop of
 * empty calls goes faster than 1,000,000 per second, and then the limiter makes each call wait for
 * its permit in the next period, so with the default the figure is the limiter's pace, not its cost.
 *
 * <p>Results are returned, so JMH consumes them. Each state is shared by all benchmark threads
 * ({@link Scope#Benchmark}), as one downstream's guards are shared by all its jobs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GuardsBenchmark {

    /** The call being guarded: a constant, as cheap as a call can be. */
    @State(Scope.Benchmark)
    public static class Call {

        final Object constant = new Object();

        final CheckedSupplier<Object> call = () -> constant;
    }

    /** Instances configured like the defaults in application.yml, from the plain registries. */
    @State(Scope.Benchmark)
    public static class Plain {

        @Param({"1000000", "2147483647"})
        int limitForPeriod;

        Downstream downstream;

        CircuitBreaker breaker;

        Bulkhead bulkhead;

        RateLimiter rateLimiter;

        Retry retry;

        @Setup(Level.Trial)
        public void setUp() {
            downstream = downstream("plain", rateLimiterConfig(limitForPeriod));
            // the same, without any listener (not passed to a Downstream)
            breaker = CircuitBreakerRegistry.of(breakerConfig()).circuitBreaker("bare");
            bulkhead = BulkheadRegistry.of(bulkheadConfig()).bulkhead("bare");
            rateLimiter = RateLimiterRegistry.of(rateLimiterConfig(limitForPeriod)).rateLimiter("bare");
            retry = RetryRegistry.of(retryConfig()).retry("bare");
            report("plain", downstream);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            downstream.close();
        }

        private static Downstream downstream(String name, RateLimiterConfig rateLimiter) {
            return new Downstream(name, properties(), CircuitBreakerRegistry.of(breakerConfig()).circuitBreaker(name),
                    BulkheadRegistry.of(bulkheadConfig()).bulkhead(name),
                    RateLimiterRegistry.of(rateLimiter).rateLimiter(name), RetryRegistry.of(retryConfig()).retry(name),
                    Clock.systemUTC());
        }

        // resilience4j.*.configs.default in application.yml
        static CircuitBreakerConfig breakerConfig() {
            return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .permittedNumberOfCallsInHalfOpenState(3)
                .ignoreExceptions(BulkheadFullException.class, RequestNotPermitted.class, CallAbandoned.class)
                .build();
        }

        static BulkheadConfig bulkheadConfig() {
            return BulkheadConfig.custom().maxConcurrentCalls(50).maxWaitDuration(Duration.ofMillis(500)).build();
        }

        static RateLimiterConfig rateLimiterConfig(int limitForPeriod) {
            return RateLimiterConfig.custom()
                .limitForPeriod(limitForPeriod)
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ofSeconds(1))
                .build();
        }

        static RetryConfig retryConfig() {
            return RetryConfig.custom()
                .maxAttempts(2)
                .waitDuration(Duration.ofMillis(200))
                .retryExceptions(IOException.class, DownstreamServerError.class)
                .build();
        }
    }

    /** The instances Spring Boot's Resilience4j auto-configuration makes from the jar's application.yml. */
    @State(Scope.Benchmark)
    public static class App {

        @Param({"1000000", "2147483647"})
        int limitForPeriod;

        ConfigurableApplicationContext context;

        Downstream downstream;

        @Setup(Level.Trial)
        public void setUp() {
            // auto-configuration only (no component scan of Spindle); the jar's application.yml is
            // on the class path and read as usual. An in-memory database keeps the H2 file alone.
            context = new SpringApplicationBuilder(AutoConfigurationOnly.class)
                .web(WebApplicationType.NONE)
                .bannerMode(Banner.Mode.OFF)
                .logStartupInfo(false)
                .properties("spring.datasource.url=jdbc:h2:mem:guards", "spring.flyway.enabled=false",
                        // the readiness group names Spindle's own 'cluster' indicator, not created here
                        "management.endpoint.health.validate-group-membership=false", "logging.level.root=WARN")
                .properties(limitForPeriod == 1_000_000 ? Map.of()
                        : Map.of("resilience4j.ratelimiter.instances.app.limit-for-period", limitForPeriod))
                .run();
            downstream = new Downstream("app", properties(),
                    context.getBean(CircuitBreakerRegistry.class).circuitBreaker("app"),
                    context.getBean(BulkheadRegistry.class).bulkhead("app"),
                    context.getBean(RateLimiterRegistry.class).rateLimiter("app"),
                    context.getBean(RetryRegistry.class).retry("app"), Clock.systemUTC());
            report("app", downstream);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            downstream.close();
            context.close();
        }
    }

    /** One guard at a time: the instances of {@link Plain} without listeners, the rate limiter unlimited. */
    @State(Scope.Benchmark)
    public static class Single {

        final CircuitBreaker breaker = CircuitBreakerRegistry.of(Plain.breakerConfig()).circuitBreaker("single");

        final Bulkhead bulkhead = BulkheadRegistry.of(Plain.bulkheadConfig()).bulkhead("single");

        final RateLimiter rateLimiter = RateLimiterRegistry.of(Plain.rateLimiterConfig(Integer.MAX_VALUE)).rateLimiter("single");

        final Retry retry = RetryRegistry.of(Plain.retryConfig()).retry("single");
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class AutoConfigurationOnly {
    }

    static DownstreamProperties.Downstream properties() {
        // never called: only guarded() is measured, but the constructor builds the HTTP client
        return new DownstreamProperties.Downstream(URI.create("http://127.0.0.1:9"), Duration.ofSeconds(2),
                Duration.ofSeconds(10), 50, DataSize.ofMegabytes(1), Map.of());
    }

    /** Prints, once per fork, which guards publish events per call (a listener makes them build one). */
    static void report(String label, Downstream downstream) {
        try {
            var breaker = field(downstream, "breaker", CircuitBreaker.class);
            var bulkhead = field(downstream, "bulkhead", Bulkhead.class);
            var rateLimiter = field(downstream, "rateLimiter", RateLimiter.class);
            var retry = field(downstream, "retry", Retry.class);
            System.out.printf("# %s instances: listeners breaker=%s bulkhead=%s rateLimiter=%s retry=%s; "
                    + "breaker %s, bulkhead %d, rate limiter %d per %s (wait %s), retry %d attempts%n", label,
                    listening(breaker.getEventPublisher()), listening(bulkhead.getEventPublisher()),
                    listening(rateLimiter.getEventPublisher()), listening(retry.getEventPublisher()),
                    breaker.getCircuitBreakerConfig().getSlidingWindowType() + "/"
                            + breaker.getCircuitBreakerConfig().getSlidingWindowSize() + "/min "
                            + breaker.getCircuitBreakerConfig().getMinimumNumberOfCalls(),
                    bulkhead.getBulkheadConfig().getMaxConcurrentCalls(),
                    rateLimiter.getRateLimiterConfig().getLimitForPeriod(),
                    rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod(),
                    rateLimiter.getRateLimiterConfig().getTimeoutDuration(),
                    retry.getRetryConfig().getMaxAttempts());
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Object listening(Object publisher) {
        return publisher instanceof EventProcessor<?> processor ? processor.hasConsumers() : "?";
    }

    private static <T> T field(Downstream downstream, String name, Class<T> type) throws ReflectiveOperationException {
        var field = Downstream.class.getDeclaredField(name);
        field.setAccessible(true);
        return type.cast(field.get(downstream));
    }

    // --- the benchmarks ---------------------------------------------------------------------------

    @Benchmark
    public Object bare(Call call) throws Throwable {
        return call.call.get();
    }

    @Benchmark
    public Object guarded(Plain plain, Call call) throws Exception {
        return plain.downstream.guarded(call.call);
    }

    @Benchmark
    public Object guardedAppInstances(App app, Call call) throws Exception {
        return app.downstream.guarded(call.call);
    }

    @Benchmark
    public Object guardsNoListeners(Plain plain, Call call) throws Throwable {
        // copied from Downstream.guarded
        return Retry.decorateCheckedSupplier(plain.retry,
                CircuitBreaker.decorateCheckedSupplier(plain.breaker,
                        RateLimiter.decorateCheckedSupplier(plain.rateLimiter,
                                Bulkhead.decorateCheckedSupplier(plain.bulkhead, call.call))))
            .get();
    }

    @Benchmark
    public Object onlyBreaker(Single single, Call call) throws Throwable {
        return CircuitBreaker.decorateCheckedSupplier(single.breaker, call.call).get();
    }

    @Benchmark
    public Object onlyBulkhead(Single single, Call call) throws Throwable {
        return Bulkhead.decorateCheckedSupplier(single.bulkhead, call.call).get();
    }

    @Benchmark
    public Object onlyRateLimiter(Single single, Call call) throws Throwable {
        return RateLimiter.decorateCheckedSupplier(single.rateLimiter, call.call).get();
    }

    @Benchmark
    public Object onlyRetry(Single single, Call call) throws Throwable {
        return Retry.decorateCheckedSupplier(single.retry, call.call).get();
    }
}
