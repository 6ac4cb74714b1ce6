package dev.spindle.security;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.spindle.Api.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.spindle.security.Client.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * JWTs from an issuer whose keys WireMock serves: a valid token's scopes are its roles and its
 * subject the submitter; an expired one, another issuer's, one signed by another key are 401.
 */
class JwtTests extends JwtContext {

    private static final String JOB = "{\"type\": \"noop\"}";

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    Client client;

    @BeforeEach
    void setUp() {
        client = Client.loopback(port);
    }

    @AfterEach
    void tearDown() {
        client.close();
    }

    @Test
    void validTokenSubmitsAsItsSubject() {
        String token = token("openid spindle:submit spindle:read");

        Response job = client.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + token);
        Response workflow = client.post("/api/v1/workflows", "{\"steps\": [{\"id\": \"a\", \"type\": \"noop\"}]}",
                "Authorization", "Bearer " + token);

        assertThat(job.status()).as(job.raw().body()).isEqualTo(202);
        assertThat(job.body().path("submittedBy").asString()).isEqualTo("alice");
        Response read = client.get("/api/v1/jobs/" + job.id(), "Authorization", "Bearer " + token);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().path("submittedBy").asString()).isEqualTo("alice");
        assertThat(workflow.status()).isEqualTo(202);
        assertThat(workflow.body().path("submittedBy").asString()).isEqualTo("alice");
    }

    @Test
    void tokenWithoutTheScopeOfTheCallIsForbidden() {
        String readOnly = token("spindle:read");

        assertProblem(client.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + readOnly), 403,
                "These credentials do not allow POST /api/v1/jobs");
        assertThat(client.get("/api/v1/jobs", "Authorization", "Bearer " + readOnly).status()).isEqualTo(200);
        // a scope is a role only with the prefix
        assertProblem(client.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + token("submit admin")), 403,
                "do not allow");
        // neither Actuator without admin
        try (Client management = Client.loopback(managementPort)) {
            assertProblem(management.get("/actuator/metrics", "Authorization", "Bearer " + readOnly), 403,
                    "do not allow");
            assertThat(management.get("/actuator/metrics", "Authorization", "Bearer " + token("spindle:admin"))
                .status()).isEqualTo(200);
        }
    }

    @Test
    void scopesMayComeAsAnScpList() {
        String token = token("", claims -> claims.claim("scope", null).claim("scp", List.of("spindle:submit")));

        Response job = client.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + token);

        assertThat(job.status()).as(job.raw().body()).isEqualTo(202);
        assertThat(job.body().path("submittedBy").asString()).isEqualTo("alice");
    }

    @Test
    void expiredTokenIsUnauthorized() {
        String expired = token("spindle:submit", claims -> claims
            .issueTime(Date.from(Instant.now().minusSeconds(3600)))
            .expirationTime(Date.from(Instant.now().minusSeconds(600))));

        try (Client from = Client.fromLoopback(31, port)) {
            assertUnauthorized(from.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + expired), "expired");
        }
    }

    @Test
    void tokenOfAnotherIssuerIsUnauthorized() {
        String foreign = token("spindle:submit", claims -> claims.issuer("https://elsewhere.test"));

        String anonymous = token("spindle:submit", claims -> claims.issuer(null));

        try (Client from = Client.fromLoopback(32, port)) {
            assertUnauthorized(from.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + foreign), "iss");
            assertUnauthorized(from.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + anonymous), "iss");
        }
    }

    @Test
    void tokenSignedByAnotherKeyIsUnauthorized() {
        String forged = sign(FORGED, new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject("mallory")
            .expirationTime(Date.from(Instant.now().plusSeconds(600)))
            .claim("scope", "spindle:admin")
            .build());

        try (Client from = Client.fromLoopback(33, port)) {
            assertUnauthorized(from.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + forged), "");
            // nor is a token by X-API-Key a key
            assertUnauthorized(from.post("/api/v1/jobs", JOB, "X-API-Key", forged), "");
        }
    }

    @Test
    void unsignedTokenIsUnauthorized() {
        String claims = Base64.getUrlEncoder().withoutPadding().encodeToString(("{\"iss\": \"" + ISSUER
                + "\", \"sub\": \"mallory\", \"scope\": \"spindle:admin\", \"exp\": "
                + Instant.now().plusSeconds(600).getEpochSecond() + "}").getBytes(StandardCharsets.UTF_8));
        String unsigned = "eyJhbGciOiJub25lIn0." + claims + ".";

        try (Client from = Client.fromLoopback(35, port)) {
            assertUnauthorized(from.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + unsigned), "");
        }
    }

    @Test
    void issuerOutageIsNotCountedAgainstTheClient() {
        StubMapping down = issuer.stubFor(get(urlEqualTo("/jwks.json")).atPriority(1)
            .willReturn(aResponse().withStatus(500)));
        String rotated = sign(ROTATED, new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject("alice")
            .expirationTime(Date.from(Instant.now().plusSeconds(600)))
            .claim("scope", "spindle:submit")
            .build());
        try (Client from = Client.fromLoopback(34, port)) {
            // more often than the limit of failures
            for (int i = 0; i < 4; i++) {
                Response response = from.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + rotated);
                assertProblem(response, 503, "could not be checked");
            }
            assertThat(from.post("/api/v1/jobs", JOB, "X-API-Key", CI).status()).isEqualTo(202);
        }
        finally {
            issuer.removeStub(down);
        }
    }

    @Test
    void apiKeysStillWorkBesideJwts() {
        Response bearer = client.post("/api/v1/jobs", JOB, "Authorization", "Bearer " + CI);
        Response header = client.post("/api/v1/jobs", JOB, "X-API-Key", CI);

        assertThat(bearer.status()).isEqualTo(202);
        assertThat(bearer.body().path("submittedBy").asString()).isEqualTo("ci");
        assertThat(header.status()).isEqualTo(202);
        assertThat(header.body().path("submittedBy").asString()).isEqualTo("ci");
        assertThat(client.get("/api/v1/jobs", "X-API-Key", CI).status()).isEqualTo(200);
    }

    @Test
    void keyWithTwoDotsWorksByTheApiKeyHeader() {
        // X-API-Key carries a key, whatever it looks like; a Bearer of that shape is taken for a JWT
        Response header = client.post("/api/v1/jobs", JOB, "X-API-Key", DOTTED);

        assertThat(header.status()).as(header.raw().body()).isEqualTo(202);
        assertThat(header.body().path("submittedBy").asString()).isEqualTo("dotted");
    }

    private static void assertUnauthorized(Response response, String detail) {
        assertProblem(response, 401, "The credentials are not valid");
        assertThat(response.body().path("detail").asString()).contains(detail);
        assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
    }
}
