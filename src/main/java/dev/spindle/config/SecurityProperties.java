package dev.spindle.config;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who may call Spindle. JWTs are configured by Spring Boot's own
 * {@code spring.security.oauth2.resourceserver.jwt.*}; these are the rest.
 *
 * @param protectedMode while no credentials are configured (no API key, no JWT issuer), serve
 * loopback clients only, as Redis does; false opens an unconfigured Spindle to everyone
 * @param apiKeys the API keys by name; the name is the principal a key authenticates
 * @param jwt how a JWT's scopes become roles
 * @param authFailures how many failed authentications one address may make
 */
@Validated
@ConfigurationProperties("spindle.security")
public record SecurityProperties(
        @DefaultValue("true") boolean protectedMode,
        @DefaultValue Map<String, @Valid ApiKey> apiKeys,
        @DefaultValue @Valid Jwt jwt,
        @DefaultValue @Valid AuthFailures authFailures) {

    /** What a key may do; {@code admin} may do everything. */
    public enum Role {
        /** Submit jobs and workflows. */
        SUBMIT,
        /** Read jobs, workflows, queues, schedules and output. */
        READ,
        /** Cancel and retry, pause and resume queues, manage schedules. */
        OPERATE,
        /** All of the above and Actuator. */
        ADMIN
    }

    /**
     * One API key: given in clear ({@code key}, e.g. from a Secret through an environment variable;
     * it is hashed at start and kept no longer) or as its SHA-256 ({@code sha256}), not both.
     *
     * @param key the key itself, at least {@value #MIN_KEY_LENGTH} characters
     * @param sha256 the SHA-256 of the key's UTF-8 bytes, 64 hex digits
     * @param roles what the key may do
     */
    public record ApiKey(@Nullable String key, @Nullable String sha256, @NotEmpty Set<Role> roles) {

        public static final int MIN_KEY_LENGTH = 16;

        @Override
        public String toString() {
            return "ApiKey" + roles;
        }
    }

    /** @param scopePrefix a scope named this and a role grants the role ({@code spindle:read}) */
    public record Jwt(@DefaultValue("spindle:") String scopePrefix) {
    }

    /**
     * @param limit failed authentications one address may make per period; past it its requests
     * with credentials are refused (429, {@code -LIMIT}) until the period ends
     * @param period the window
     * @param maxClients most addresses remembered at once
     */
    public record AuthFailures(
            @DefaultValue("10") @Min(1) int limit,
            @DefaultValue("1m") Duration period,
            @DefaultValue("100000") @Min(1) int maxClients) {
    }
}
