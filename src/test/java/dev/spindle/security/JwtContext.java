package dev.spindle.security;

import java.time.Instant;
import java.util.Date;
import java.util.function.UnaryOperator;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.spindle.SpindleTest;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * One context for {@link JwtTests} and {@link AuthFailureTests}: a JWT issuer whose JWK set
 * WireMock serves, API keys beside it, and at most 3 failed authentications per address an hour.
 * Boot validates the configured issuer without discovery (a JWK set URI is given), so the issuer
 * is a name only. Each test fails authentications from a loopback address of its own.
 */
@SpindleTest
@TestPropertySource(properties = {
        "spring.security.oauth2.resourceserver.jwt.issuer-uri=" + JwtContext.ISSUER,
        "spindle.security.auth-failures.limit=3",
        "spindle.security.auth-failures.period=1h",
        "spindle.security.api-keys.ci.key=" + JwtContext.CI, "spindle.security.api-keys.ci.roles=submit, read",
        "spindle.security.api-keys.dotted.key=" + JwtContext.DOTTED, "spindle.security.api-keys.dotted.roles=submit" })
abstract class JwtContext {

    static final String ISSUER = "https://issuer.test";

    static final String CI = "ci-key-0123456789abcdef";

    /** A key that has a JWT's two dots. */
    static final String DOTTED = "dotted.key.0123456789abcdef";

    static final RSAKey SIGNING = rsaKey("spindle-test");

    /** Another key of the same id, which the issuer does not publish. */
    static final RSAKey FORGED = rsaKey("spindle-test");

    /** A key of another id, as after a rotation the decoder has not seen: it fetches the JWK set again. */
    static final RSAKey ROTATED = rsaKey("spindle-rotated");

    static final WireMockServer issuer = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    static {
        // for the JVM's life, as the cached context that fetches from it
        issuer.start();
        issuer.stubFor(get(urlEqualTo("/jwks.json")).willReturn(aResponse()
            .withHeader("Content-Type", "application/jwk-set+json")
            .withBody(new JWKSet(SIGNING.toPublicJWK()).toString())));
    }

    @DynamicPropertySource
    static void jwkSet(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri",
                () -> "http://127.0.0.1:" + issuer.port() + "/jwks.json");
    }

    /** A token for {@code alice} from the issuer, valid for 10 minutes, with {@code scope}; {@code claims} adjust it. */
    static String token(String scope, UnaryOperator<JWTClaimsSet.Builder> claims) {
        return sign(SIGNING, claims.apply(new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject("alice")
            .issueTime(Date.from(Instant.now()))
            .expirationTime(Date.from(Instant.now().plusSeconds(600)))
            .claim("scope", scope)).build());
    }

    static String token(String scope) {
        return token(scope, UnaryOperator.identity());
    }

    static String sign(RSAKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(),
                    claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        }
        catch (JOSEException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static RSAKey rsaKey(String id) {
        try {
            return new RSAKeyGenerator(2048).keyID(id).generate();
        }
        catch (JOSEException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
