package dev.spindle.downstream;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.spindle.config.DownstreamProperties;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.httpcomponents.hc5.PoolingHttpClientConnectionManagerMetricsBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The configured downstreams, each with its HTTP client and the Resilience4j instances of its name
 * (created at start, so Actuator lists them before the first call). Connection pool statistics go
 * to Micrometer as {@code httpcomponents.httpclient.pool.*{httpclient=<name>}}.
 */
@Component
class Downstreams implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(Downstreams.class);

    private final Map<String, Downstream> byName = new TreeMap<>();

    Downstreams(DownstreamProperties properties, CircuitBreakerRegistry breakers, BulkheadRegistry bulkheads,
            RateLimiterRegistry rateLimiters, RetryRegistry retries, MeterRegistry meters, Clock clock) {
        properties.downstreams().forEach((name, config) -> {
            CircuitBreaker breaker = breakers.circuitBreaker(name);
            Bulkhead bulkhead = bulkheads.bulkhead(name);
            RateLimiter rateLimiter = rateLimiters.rateLimiter(name);
            warnIfBreakerCountsRefusals(breaker, bulkhead, rateLimiter);
            Downstream downstream = new Downstream(name, config, breaker, bulkhead, rateLimiter, retries.retry(name), clock);
            new PoolingHttpClientConnectionManagerMetricsBinder(downstream.pool(), name).bindTo(meters);
            byName.put(name, downstream);
            log.info("Downstream '{}' at {}: up to {} connections", name, config.baseUrl(), config.maxConnections());
        });
    }

    /**
     * The breaker sits outside the rate limiter and the bulkhead (Resilience4j's order), so their
     * refusals reach it: counted as failures, a busy bulkhead would open the circuit.
     */
    private static void warnIfBreakerCountsRefusals(CircuitBreaker breaker, Bulkhead bulkhead, RateLimiter rateLimiter) {
        var ignored = breaker.getCircuitBreakerConfig().getIgnoreExceptionPredicate();
        if (!ignored.test(BulkheadFullException.createBulkheadFullException(bulkhead))
                || !ignored.test(RequestNotPermitted.createRequestNotPermitted(rateLimiter))) {
            log.warn("Circuit breaker '{}' counts bulkhead and rate-limiter refusals as failures; keep "
                    + "BulkheadFullException and RequestNotPermitted in its ignore-exceptions", breaker.getName());
        }
    }

    Set<String> names() {
        return byName.keySet();
    }

    Optional<Downstream> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    @Override
    public void destroy() {
        for (Downstream downstream : byName.values()) {
            try {
                downstream.close();
            }
            catch (IOException ex) {
                log.debug("Closing the client of downstream '{}' failed", downstream.name(), ex);
            }
        }
    }
}
