package dev.spindle.downstream;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import dev.spindle.config.DownstreamProperties;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.github.resilience4j.retry.Retry;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.net.URIBuilder;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * One named downstream: its pooled HTTP client and the Resilience4j instances of its name, applied
 * in the library's own order: Retry, then CircuitBreaker, RateLimiter and Bulkhead around the call.
 */
final class Downstream implements AutoCloseable {

    /** Rechecking a breaker that is probing (HALF_OPEN) or held open by an operator. */
    private static final Duration PROBING_RECHECK = Duration.ofSeconds(1);

    private static final Duration FORCED_OPEN_RECHECK = Duration.ofSeconds(5);

    private static final Duration BULKHEAD_RECHECK = Duration.ofMillis(500);

    private final String name;

    private final URI baseUrl;

    private final DownstreamProperties.Downstream properties;

    private final PoolingHttpClientConnectionManager pool;

    private final CloseableHttpClient client;

    private final CircuitBreaker breaker;

    private final Bulkhead bulkhead;

    private final RateLimiter rateLimiter;

    private final Retry retry;

    private final Clock clock;

    private volatile Instant openedAt = Instant.EPOCH;

    Downstream(String name, DownstreamProperties.Downstream properties, CircuitBreaker breaker, Bulkhead bulkhead,
            RateLimiter rateLimiter, Retry retry, Clock clock) {
        this.name = name;
        this.baseUrl = properties.baseUrl();
        this.properties = properties;
        this.breaker = breaker;
        this.bulkhead = bulkhead;
        this.rateLimiter = rateLimiter;
        this.retry = retry;
        this.clock = clock;
        this.pool = PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnTotal(properties.maxConnections())
            .setMaxConnPerRoute(properties.maxConnections())
            .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.STRICT)
            .setDefaultConnectionConfig(ConnectionConfig.custom()
                .setConnectTimeout(Timeout.of(properties.connectTimeout()))
                .setSocketTimeout(Timeout.of(properties.responseTimeout()))
                .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                .setTimeToLive(TimeValue.ofMinutes(5))
                .build())
            .build();
        // No redirects: a redirect could lead anywhere, and only the base URL may be called.
        // No retries or cookies of the client's own: Resilience4j's Retry decides, calls are independent.
        this.client = HttpClients.custom()
            .setConnectionManager(pool)
            .disableRedirectHandling()
            .disableAutomaticRetries()
            .disableCookieManagement()
            .disableAuthCaching()
            .setUserAgent("Spindle")
            .setDefaultRequestConfig(RequestConfig.custom()
                .setConnectionRequestTimeout(Timeout.of(properties.responseTimeout()))
                .setResponseTimeout(Timeout.of(properties.responseTimeout()))
                .build())
            .evictIdleConnections(TimeValue.ofSeconds(30))
            .evictExpiredConnections()
            .build();
        breaker.getEventPublisher().onStateTransition(event -> {
            if (event.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                openedAt = clock.instant();
            }
        });
    }

    String name() {
        return name;
    }

    PoolingHttpClientConnectionManager pool() {
        return pool;
    }

    /** Runs {@code call} inside this downstream's guards. */
    <T> T guarded(CheckedSupplier<T> call) throws Exception {
        try {
            return Retry.decorateCheckedSupplier(retry,
                    CircuitBreaker.decorateCheckedSupplier(breaker,
                            RateLimiter.decorateCheckedSupplier(rateLimiter,
                                    Bulkhead.decorateCheckedSupplier(bulkhead, call))))
                .get();
        }
        catch (Exception | Error ex) {
            throw ex;
        }
        catch (Throwable ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Sends one request and reads the response, at most {@code max-response-size} of its body.
     *
     * @param timeout the longest wait for response data: the configured one or less, if the job's
     *        deadline is nearer
     * @param extraHeaders Spindle's own headers, after the configured and the job's
     */
    Response send(HttpCall call, Duration timeout, Map<String, String> extraHeaders, JsonMapper json) throws IOException {
        HttpUriRequestBase request = new HttpUriRequestBase(call.method(), uri(call));
        properties.headers().forEach(request::setHeader);
        call.headers().forEach(request::setHeader);
        extraHeaders.forEach(request::setHeader);
        if (call.body() != null) {
            request.setEntity(entity(call, json));
        }
        request.setConfig(RequestConfig.custom()
            .setConnectionRequestTimeout(Timeout.of(timeout))
            .setResponseTimeout(Timeout.of(timeout))
            .build());
        long max = properties.maxResponseSize().toBytes();
        try (ClassicHttpResponse response = client.executeOpen(null, request, HttpClientContext.create())) {
            HttpEntity entity = response.getEntity();
            byte[] body = new byte[0];
            String contentType = null;
            if (entity != null) {
                contentType = entity.getContentType();
                try (InputStream in = entity.getContent()) {
                    // reading to the end gives the connection back to the pool; a body over the
                    // limit is not read further, and closing the response discards the connection.
                    // With a Content-Length, ask for that much (+1 to see the end) rather than the
                    // limit: readNBytes sizes its buffers by what it is asked for.
                    long declared = entity.getContentLength();
                    long want = declared >= 0 && declared <= max ? declared + 1 : max + 1;
                    body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, want));
                }
            }
            return new Response(response.getCode(), response.getReasonPhrase(), contentType, body, body.length > max);
        }
    }

    private URI uri(HttpCall call) {
        try {
            String base = baseUrl.toString();
            URIBuilder uri = new URIBuilder((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + call.path());
            call.query().forEach(entry -> uri.addParameter(entry.getKey(), entry.getValue()));
            URI built = uri.build();
            // HttpCall.path already keeps the path under the base URL; this is the last line of defence
            if (!built.getScheme().equalsIgnoreCase(baseUrl.getScheme()) || !built.getHost().equalsIgnoreCase(baseUrl.getHost())
                    || built.getPort() != baseUrl.getPort() || !built.getRawPath().startsWith(baseUrl.getRawPath())) {
                throw new IllegalArgumentException("path '" + call.path() + "' leaves the base URL of downstream '" + name + "'");
            }
            return built;
        }
        catch (URISyntaxException ex) {
            throw new IllegalArgumentException("path '" + call.path() + "' does not form a URL: " + ex.getMessage(), ex);
        }
    }

    private static HttpEntity entity(HttpCall call, JsonMapper json) {
        if (call.body().isString()) {
            return new StringEntity(call.body().asString(), ContentType.TEXT_PLAIN.withCharset("UTF-8"));
        }
        return new ByteArrayEntity(json.writeValueAsBytes(call.body()), ContentType.APPLICATION_JSON);
    }

    /** The wait for response data: the configured one, or less when the job's deadline is nearer. */
    Duration timeoutBefore(Instant deadline, Instant now) {
        Duration left = Duration.between(now, deadline);
        if (left.compareTo(Duration.ofMillis(1)) < 0) {
            return Duration.ofMillis(1);
        }
        return left.compareTo(properties.responseTimeout()) < 0 ? left : properties.responseTimeout();
    }

    // --- when to come back after a guard refused -----------------------------------------------

    /** How long a call refused by the open breaker should wait: until the breaker lets a probe through. */
    Duration untilProbe() {
        return switch (breaker.getState()) {
            case OPEN -> {
                long waitMillis = breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1);
                Duration left = Duration.between(clock.instant(), openedAt.plusMillis(waitMillis));
                yield jitter(left.isNegative() ? Duration.ZERO : left, PROBING_RECHECK);
            }
            case FORCED_OPEN -> jitter(FORCED_OPEN_RECHECK, FORCED_OPEN_RECHECK);
            default -> jitter(PROBING_RECHECK, PROBING_RECHECK);
        };
    }

    /** How long a call refused by the full bulkhead should wait. */
    Duration untilBulkheadSlot() {
        return jitter(BULKHEAD_RECHECK, BULKHEAD_RECHECK);
    }

    /** How long a call refused by the rate limiter should wait: until the limiter's next period. */
    Duration untilPermit() {
        Duration period = rateLimiter.getRateLimiterConfig().getLimitRefreshPeriod();
        Duration wait = rateLimiter instanceof AtomicRateLimiter atomic
                ? Duration.ofNanos(Math.max(0, atomic.getDetailedMetrics().getNanosToWait()))
                : period;
        return jitter(wait, period);
    }

    /** {@code base} plus up to {@code spread}, so that many deferred jobs do not all return at once. */
    private static Duration jitter(Duration base, Duration spread) {
        long spreadNanos = Math.max(1, spread.toNanos());
        return base.plusNanos(ThreadLocalRandom.current().nextLong(spreadNanos));
    }

    @Override
    public void close() throws IOException {
        client.close();
    }

    /** A response as read: status, content type, body (cut at the limit when {@code tooLarge}). */
    record Response(int status, @Nullable String reason, @Nullable String contentType, byte[] body, boolean tooLarge) {
    }
}
