package dev.spindle.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Job output and log streams.
 *
 * @param maxSize most bytes one attempt may write to its output; a write past it fails the job with
 *        {@code output_too_large}
 * @param maxLogSize most bytes of log lines kept per attempt; later lines are counted, not kept
 * @param chunkSize the output is stored in chunks of this size (a chunk is also written when it
 *        has waited {@code flushInterval})
 * @param flushInterval the longest written bytes wait in memory before they are stored (what a
 *        follower waits at most for them)
 * @param maxFollow the longest a {@code ?follow=true} read stays open
 * @param pollInterval how often a follower looks for new chunks
 */
@Validated
@ConfigurationProperties("spindle.output")
public record OutputProperties(
        @DefaultValue("64MB") DataSize maxSize,
        @DefaultValue("1MB") DataSize maxLogSize,
        @DefaultValue("64KB") DataSize chunkSize,
        @DefaultValue("1s") Duration flushInterval,
        @DefaultValue("1h") Duration maxFollow,
        @DefaultValue("200ms") Duration pollInterval) {

    public OutputProperties {
        if (chunkSize.toBytes() < 1024 || chunkSize.toBytes() > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("spindle.output.chunk-size must be from 1KB to 16MB");
        }
        if (maxSize.toBytes() < 0 || maxLogSize.toBytes() < 0) {
            throw new IllegalArgumentException("spindle.output.max-size and max-log-size must not be negative");
        }
    }
}
