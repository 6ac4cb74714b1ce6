package dev.spindle.config;

import java.net.InetAddress;
import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The TCP listener that speaks RESP (the Redis protocol).
 *
 * @param enabled whether the listener runs at all
 * @param port TCP port; 0 picks a free one
 * @param address the address to bind; empty: every interface, like {@code server.address}
 * @param maxConnections connections open at once; one more gets {@code -ERR max number of clients reached} and is closed
 * @param idleTimeout a connection that sends nothing for this long is closed (checked a few times per timeout); 0 never closes one
 * @param commandTimeout a command must arrive whole within this long of its first byte, or the
 *        connection is closed (a client trickling bytes dodges the idle timeout); 0 turns it off
 * @param maxInlineLength longest inline command line (and longest RESP header line); a longer one
 *        gets a protocol error and the connection is closed
 * @param maxBulkLength largest bulk string (a SUBMIT's JSON); a larger one gets a protocol error and a close
 * @param maxArguments most elements in one command array, or words in one inline command
 * @param maxBuffered the most client data all connections together hold for commands that have not
 *        fully arrived or are running (bulk arguments, long lines; counted as bytes arrive); a
 *        connection whose command would go over gets {@code -BUSY} and is closed
 * @param maxWait the longest {@code WAIT} timeout
 * @param shutdownGrace how long a stop waits for commands in hand before it closes their connections
 */
@Validated
@ConfigurationProperties("spindle.tcp")
public record TcpProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("7379") @Min(0) @Max(65535) int port,
        @Nullable InetAddress address,
        @DefaultValue("10000") @Min(1) int maxConnections,
        @DefaultValue("5m") Duration idleTimeout,
        @DefaultValue("30s") Duration commandTimeout,
        @DefaultValue("64KB") DataSize maxInlineLength,
        @DefaultValue("1MB") DataSize maxBulkLength,
        @DefaultValue("16") @Min(1) @Max(1024) int maxArguments,
        @DefaultValue("64MB") DataSize maxBuffered,
        @DefaultValue("60s") Duration maxWait,
        @DefaultValue("5s") Duration shutdownGrace) {
}
