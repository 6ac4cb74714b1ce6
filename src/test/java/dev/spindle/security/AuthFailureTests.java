package dev.spindle.security;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Date;

import dev.spindle.Api.Response;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.spindle.security.Client.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guessing keys: an address that failed 3 times (this context's limit) is refused with 429 for
 * the rest of the hour, even with the right key, while other addresses are served.
 */
class AuthFailureTests extends JwtContext {

    private static final String JOB = "{\"type\": \"noop\"}";

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    @Test
    void addressThatFailedTooOftenIsRefusedEvenWithTheRightKey() {
        double failures = count("spindle.auth.failures");
        double refusals = count("spindle.auth.refused");
        try (Client guesser = Client.fromLoopback(101, port)) {
            for (int i = 0; i < 3; i++) {
                Response wrong = guesser.post("/api/v1/jobs", JOB, "X-API-Key", "guess-" + i + "-0123456789abcdef");
                assertProblem(wrong, 401, "The credentials are not valid");
            }

            Response right = guesser.post("/api/v1/jobs", JOB, "X-API-Key", CI);
            Response bearer = guesser.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + CI);

            assertProblem(right, 429, "Too many failed authentications from this address (3 per PT1H)");
            assertThat(right.body().path("title").asString()).isEqualTo("Too Many Requests");
            assertThat(Long.parseLong(right.header("Retry-After"))).isBetween(3500L, 3600L);
            assertProblem(bearer, 429, "Too many failed authentications");
            // without credentials nothing is tried: the usual 401
            assertThat(guesser.post("/api/v1/jobs", JOB).status()).isEqualTo(401);
        }
        assertThat(count("spindle.auth.failures") - failures).isEqualTo(3);
        assertThat(count("spindle.auth.refused") - refusals).isEqualTo(2);

        try (Client other = Client.fromLoopback(102, port)) {
            assertThat(other.post("/api/v1/jobs", JOB, "X-API-Key", CI).status()).isEqualTo(202);
        }
        InetAddress remote = Client.nonLoopbackAddress().orElse(null);
        if (remote != null) {
            try (Client other = Client.from(remote, port)) {
                Response served = other.post("/api/v1/jobs", JOB, "X-API-Key", CI);
                assertThat(served.status()).isEqualTo(202);
                assertThat(served.body().path("submittedBy").asString()).isEqualTo("ci");
            }
        }
    }

    @Test
    void badTokensCountAsFailuresToo() {
        String expired = token("spindle:submit", claims -> claims
            .expirationTime(Date.from(Instant.now().minusSeconds(600))));
        try (Client guesser = Client.fromLoopback(103, port)) {
            for (int i = 0; i < 3; i++) {
                assertThat(guesser.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + expired).status())
                    .isEqualTo(401);
            }

            Response valid = guesser.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + token("spindle:submit"));

            assertProblem(valid, 429, "Too many failed authentications");
            assertThat(valid.header("Retry-After")).isNotNull();
        }
    }

    private double count(String name) {
        return meters.get(name).counter().count();
    }
}
