package dev.spindle.deploy;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Actuator operation changes state, whoever asks: forcing a circuit breaker open (which would
 * park every http job) is refused, reading it still works.
 * The same properties as {@link DashboardTests}: one context for both.
 */
@SpindleTest
@TestPropertySource(properties = "spindle.downstreams.dashboard.base-url=http://127.0.0.1:9")
class ActuatorAccessTests {

    @Value("${local.management.port}")
    int managementPort;

    @Test
    void circuitBreakerStateCannotBeChangedButCanBeRead() {
        Api management = new Api(managementPort);
        assertThat(state(management)).isEqualTo("CLOSED");

        Response forced = management.post("/actuator/circuitbreakers/dashboard", "{\"updateState\": \"FORCE_OPEN\"}");

        // the write operation is not mapped at all: no handler for POST on that path
        assertThat(forced.status()).isEqualTo(404);
        assertThat(state(management)).isEqualTo("CLOSED");
    }

    @Test
    void healthAndMetricsStillAnswer() {
        Api management = new Api(managementPort);
        assertThat(management.get("/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(management.get("/actuator/metrics/spindle.pool.running").status()).isEqualTo(200);
        assertThat(management.get("/actuator/workerpool").status()).isEqualTo(200);
    }

    private static String state(Api management) {
        Response breakers = management.get("/actuator/circuitbreakers");
        assertThat(breakers.status()).isEqualTo(200);
        return breakers.body().at("/circuitBreakers/dashboard/state").asString();
    }
}
