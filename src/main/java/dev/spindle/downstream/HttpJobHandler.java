package dev.spindle.downstream;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

import dev.spindle.job.JobContext;
import dev.spindle.job.JobDeferred;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.stereotype.Component;

/**
 * The {@code http} job type: one HTTP call to a named downstream through its guards. The result is
 * {@code {status, contentType?, body?}} (JSON bodies as JSON, text as a string, anything else as
 * {@code bodyBase64}).
 *
 * <p>Every request carries {@code Idempotency-Key} (the job's key, else its id),
 * {@code Spindle-Job-Id}, {@code Spindle-Attempt} and {@code Spindle-Fencing-Token}, so that a
 * receiver can drop a duplicate delivery or a write from an older claim.
 *
 * <p>A guard that refuses the call before it is sent defers the job without using up an attempt:
 * {@code circuit_open} until the breaker lets a probe through, {@code bulkhead_full},
 * {@code rate_limited} until the next permit. Once a call of this attempt has reached the
 * downstream, the attempt counts.
 */
@Component
class HttpJobHandler implements JobHandler {

    private static final int EXCERPT = 300;

    private final Downstreams downstreams;

    private final JsonMapper json;

    private final Clock clock;

    HttpJobHandler(Downstreams downstreams, JsonMapper json, Clock clock) {
        this.downstreams = downstreams;
        this.json = json;
        this.clock = clock;
    }

    @Override
    public String type() {
        return "http";
    }

    @Override
    public String description() {
        return "Calls a configured downstream: {\"downstream\", \"method\", \"path\", \"query\"?, \"headers\"?, "
                + "\"body\"?, \"expectStatus\"?}; guarded by its circuit breaker, bulkhead, rate limiter and retry.";
    }

    @Override
    public void validate(JsonNode payload) {
        HttpCall.parse(payload, downstreams.names());
    }

    @Override
    public JsonNode handle(JobContext context) throws Exception {
        HttpCall call;
        try {
            call = HttpCall.parse(context.payload(), downstreams.names());
        }
        catch (IllegalArgumentException ex) {
            // the configuration changed since the job was accepted
            throw JobFailure.permanent("invalid_payload", ex.getMessage());
        }
        Downstream downstream = downstreams.find(call.downstream()).orElseThrow();
        String key = context.idempotencyKey() == null ? context.jobId() : context.idempotencyKey();
        Map<String, String> headers = Map.of("Idempotency-Key", key, "Spindle-Job-Id", context.jobId(),
                "Spindle-Attempt", Integer.toString(context.attempt()),
                "Spindle-Fencing-Token", Long.toString(context.fencingToken()));
        Calls calls = new Calls();
        try {
            Downstream.Response response = downstream.guarded(() -> {
                calls.sent++;
                Duration timeout = downstream.timeoutBefore(context.deadline(), clock.instant());
                Downstream.Response sent;
                try {
                    sent = downstream.send(call, timeout, headers, json);
                }
                catch (IOException ex) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new CallAbandoned(ex);
                    }
                    calls.lastFailure = failure(call, ex);
                    throw ex;
                }
                if (sent.status() >= 500 && !call.expected(sent.status())) {
                    calls.lastFailure = unexpected(call, sent);
                    throw new DownstreamServerError(call.downstream(), sent);
                }
                return sent;
            });
            return result(call, response);
        }
        catch (CallNotPermittedException ex) {
            throw calls.refused("circuit_open", ex.getMessage(), downstream.untilProbe());
        }
        catch (BulkheadFullException ex) {
            throw calls.refused("bulkhead_full", ex.getMessage(), downstream.untilBulkheadSlot());
        }
        catch (RequestNotPermitted ex) {
            throw calls.refused("rate_limited", ex.getMessage(), downstream.untilPermit());
        }
        catch (DownstreamServerError | IOException ex) {
            throw calls.lastFailure == null ? JobFailure.retryable("downstream_io", ex.toString()) : calls.lastFailure;
        }
    }

    /** The calls one attempt sent, and how the last one failed. */
    private static final class Calls {

        int sent;

        @Nullable JobFailure lastFailure;

        /** A guard refused: defer when nothing was sent, else the attempt failed as its last call did. */
        Exception refused(String code, String message, Duration delay) {
            if (sent == 0 || lastFailure == null) {
                return new JobDeferred(code, message + "; deferred, the attempt does not count", delay);
            }
            return lastFailure;
        }
    }

    private JsonNode result(HttpCall call, Downstream.Response response) throws JobFailure {
        if (response.tooLarge()) {
            throw JobFailure.permanent("response_too_large", describe(call) + " answered " + response.status()
                    + " with a body over the downstream's max-response-size (" + response.body().length + "+ bytes read)");
        }
        if (!call.expected(response.status())) {
            throw unexpected(call, response);
        }
        ObjectNode result = json.createObjectNode().put("status", response.status());
        if (response.contentType() != null) {
            result.put("contentType", response.contentType());
        }
        if (response.body().length > 0) {
            if (isJson(response.contentType())) {
                try {
                    result.set("body", json.readTree(response.body()));
                    return result;
                }
                catch (JacksonException ex) {
                    // not JSON after all: kept as text below
                }
            }
            if (isText(response.contentType())) {
                result.put("body", new String(response.body(), StandardCharsets.UTF_8));
            }
            else {
                result.put("bodyBase64", Base64.getEncoder().encodeToString(response.body()));
            }
        }
        return result;
    }

    private static JobFailure unexpected(HttpCall call, Downstream.Response response) {
        int status = response.status();
        boolean retryable = status >= 500 || status == 408 || status == 429;
        String body = new String(response.body(), 0, Math.min(EXCERPT, response.body().length), StandardCharsets.UTF_8);
        return new JobFailure("downstream_status", describe(call) + " answered " + status
                + (response.reason() == null ? "" : " " + response.reason())
                + (call.expectStatus().isEmpty() ? "" : ", expected " + call.expectStatus())
                + (body.isBlank() ? "" : ": " + body), retryable);
    }

    private static JobFailure failure(HttpCall call, IOException ex) {
        String code = ex instanceof UnknownHostException || ex instanceof ConnectException
                || ex instanceof HttpHostConnectException || ex instanceof ConnectTimeoutException
                || ex instanceof NoRouteToHostException ? "downstream_unreachable"
                : ex instanceof SocketTimeoutException || ex instanceof InterruptedIOException ? "downstream_timeout"
                : "downstream_io";
        return JobFailure.retryable(code, describe(call) + " failed: " + ex);
    }

    private static String describe(HttpCall call) {
        return call.method() + " " + call.downstream() + call.path();
    }

    private static boolean isJson(@Nullable String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).contains("json");
    }

    private static boolean isText(@Nullable String contentType) {
        if (contentType == null) {
            return true;
        }
        String type = contentType.toLowerCase(Locale.ROOT);
        return type.startsWith("text/") || type.contains("json") || type.contains("xml")
                || type.startsWith("application/x-www-form-urlencoded");
    }
}
