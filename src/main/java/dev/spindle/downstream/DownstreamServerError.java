package dev.spindle.downstream;

/**
 * A downstream answered 5xx: inside the guards this is a failure the circuit breaker counts and
 * Retry may retry (name it in {@code resilience4j.retry…retry-exceptions}).
 */
public class DownstreamServerError extends Exception {

    private final transient Downstream.Response response;

    DownstreamServerError(String downstream, Downstream.Response response) {
        super("Downstream '" + downstream + "' answered " + response.status(), null, false, false);
        this.response = response;
    }

    Downstream.Response response() {
        return response;
    }
}
