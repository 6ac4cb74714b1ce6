package dev.spindle.config;

import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Per-client intake rate limiting. The limit itself (requests per period) is Resilience4j's shared
 * config {@code resilience4j.ratelimiter.configs.intake.*}, so it is tuned the way the Resilience4j
 * docs say; these properties say whether it applies and how many clients are remembered. A client is
 * the authenticated principal, else (no credentials configured) the remote address.
 *
 * @param enabled whether intake is rate limited at all
 * @param maxClients most clients whose windows are remembered at once; beyond it the least useful
 * entries are evicted, which only forgets their current window (they get a fresh one)
 */
@Validated
@ConfigurationProperties("spindle.intake")
public record IntakeProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("10000") @Min(1) int maxClients) {
}
