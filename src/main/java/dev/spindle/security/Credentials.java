package dev.spindle.security;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.spindle.config.SecurityProperties;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.authentication.AuthenticationManager;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.stereotype.Component;

/**
 * Turns what a client sent (an API key, a JWT) into who it is, for REST and RESP alike: one
 * {@link AuthenticationManager} over the API keys and, when a JWT issuer is configured, Spring
 * Security's resource-server {@link JwtAuthenticationProvider}. Failures count against the
 * client's address ({@link AuthFailures}).
 */
@Component
public class Credentials {

    private final AuthenticationManager manager;

    private final boolean jwt;

    private final AuthFailures failures;

    Credentials(ApiKeys keys, ObjectProvider<JwtDecoder> decoder, SecurityProperties properties, AuthFailures failures) {
        List<AuthenticationProvider> providers = new ArrayList<>(List.of(keys));
        JwtDecoder jwtDecoder = decoder.getIfAvailable();
        if (jwtDecoder != null) {
            JwtAuthenticationProvider provider = new JwtAuthenticationProvider(jwtDecoder);
            provider.setJwtAuthenticationConverter(new JwtRoles(properties.jwt().scopePrefix()));
            providers.add(provider);
        }
        this.manager = new ProviderManager(providers);
        this.jwt = jwtDecoder != null;
        this.failures = failures;
    }

    /** The manager that authenticates {@link #token} results. */
    public AuthenticationManager manager() {
        return manager;
    }

    /**
     * What to authenticate for a secret a client sent: a JWT when one is expected and the secret
     * has a JWT's three dot-separated parts, else an API key.
     *
     * @param user the name it gave with it (RESP {@code AUTH user pass}); null for none
     */
    public Authentication token(@Nullable String user, String secret) {
        if (jwt && user == null && secret.chars().filter(c -> c == '.').count() == 2) {
            return new BearerTokenAuthenticationToken(secret);
        }
        return ApiKeyAuthentication.unauthenticated(user, secret);
    }

    /** What to authenticate for a secret sent as an API key ({@code X-API-Key}): a key, whatever its shape. */
    public Authentication apiKey(String key) {
        return ApiKeyAuthentication.unauthenticated(null, key);
    }

    /**
     * Refuses an address that failed too often.
     *
     * @throws TooManyFailuresException when {@code address} may not try now
     */
    public void checkNotRefused(String address) {
        Optional<Duration> refusal = failures.refusal(address);
        if (refusal.isPresent()) {
            throw new TooManyFailuresException(failures.message(refusal.get()), refusal.get());
        }
    }

    /** Counts a failed authentication from {@code address}. */
    public void failed(String address) {
        failures.failed(address);
    }

    /**
     * Authenticates a secret sent by a client at {@code address}, as RESP's AUTH does.
     *
     * @throws TooManyFailuresException when the address failed too often to try
     * @throws AuthenticationServiceException when it could not be checked (a JWT issuer out of reach; not counted)
     * @throws AuthenticationException when the secret is not valid (counted)
     */
    public Authentication authenticate(@Nullable String user, String secret, String address) {
        checkNotRefused(address);
        try {
            return manager.authenticate(token(user, secret));
        }
        catch (AuthenticationServiceException ex) {
            // the JWT issuer's keys could not be fetched: no fault of the client's
            throw ex;
        }
        catch (AuthenticationException ex) {
            failed(address);
            throw ex;
        }
    }
}
