package dev.spindle.config;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Limits of the REST API.
 *
 * @param maxBodySize largest request body; larger ones get 413
 * @param maxWait longest {@code ?wait=} a client may ask for
 * @param maxWaiting most long-polls waiting at once (REST {@code ?wait=} and RESP {@code WAIT}
 *        together); one more gets 503 with {@code Retry-After} (RESP: {@code -BUSY})
 * @param headerTimeout the longest a request may take from its first byte to its last header on the
 *        API port; a connection still sending headers then is closed (Tomcat's own
 *        {@code connection-timeout} bounds each read, which a byte a second never trips); 0: no deadline
 * @param crowdedHeaderTimeout the header deadline instead while the API port holds 90% of
 *        {@code server.tomcat.max-connections}, so that tricklers give their places to new clients
 * @param bodyTimeout the longest a request body may take to arrive once its headers have (checked
 *        after each read, and a read waits at most {@code server.tomcat.connection-timeout}); a
 *        later body gets 408 and the connection is closed; 0: no deadline
 * @param maxBatch most jobs in one batch submission
 * @param defaultPageSize list page size when no {@code limit} is given
 * @param maxPageSize the largest {@code limit}
 */
@Validated
@ConfigurationProperties("spindle.api")
public record ApiProperties(
        @DefaultValue("1MB") DataSize maxBodySize,
        @DefaultValue("60s") Duration maxWait,
        @DefaultValue("1000") @Min(1) int maxWaiting,
        @DefaultValue("10s") Duration headerTimeout,
        @DefaultValue("1s") Duration crowdedHeaderTimeout,
        @DefaultValue("30s") Duration bodyTimeout,
        @DefaultValue("1000") @Min(1) int maxBatch,
        @DefaultValue("50") @Min(1) int defaultPageSize,
        @DefaultValue("500") @Min(1) @Max(10_000) int maxPageSize) {
}
