package dev.spindle.config;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The services {@code http} jobs may call, by name ({@code spindle.downstreams.<name>.*}). A job
 * names a downstream and a path under its base URL; it can reach nothing else.
 *
 * @param downstreams the named downstreams
 */
@Validated
@ConfigurationProperties("spindle")
public record DownstreamProperties(@DefaultValue Map<String, @Valid Downstream> downstreams) {

    public DownstreamProperties {
        downstreams.keySet().forEach(name -> {
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,63}")) {
                throw new IllegalArgumentException("spindle.downstreams." + name
                        + ": a downstream name is 1 to 64 letters, digits, '-' or '_', starting with a letter or digit");
            }
        });
    }

    /**
     * One downstream service.
     *
     * @param baseUrl http or https URL every call's path is appended to, such as
     *        {@code https://payments.internal/api}
     * @param connectTimeout longest wait for a TCP (and TLS) connection
     * @param responseTimeout longest wait for response data (socket read timeout); a call also
     *        ends when its job's timeout does
     * @param maxConnections connections pooled to this downstream; calls beyond wait for one
     *        (keep the bulkhead's {@code max-concurrent-calls} at most this)
     * @param maxResponseSize largest response body kept as the job's result; a larger one fails
     *        the job with {@code response_too_large}
     * @param headers sent with every call (an {@code Authorization} header, say); a job's own
     *        headers override them
     */
    public record Downstream(
            URI baseUrl,
            @DefaultValue("2s") Duration connectTimeout,
            @DefaultValue("10s") Duration responseTimeout,
            @DefaultValue("50") @Min(1) @Max(10_000) int maxConnections,
            @DefaultValue("1MB") DataSize maxResponseSize,
            @DefaultValue Map<String, String> headers) {

        public Downstream {
            String scheme = baseUrl.getScheme() == null ? "" : baseUrl.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || baseUrl.getHost() == null
                    || baseUrl.getRawUserInfo() != null || baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
                throw new IllegalArgumentException("base-url must be an http or https URL with a host and no user info, "
                        + "query or fragment, was '" + baseUrl + "'");
            }
        }
    }
}
