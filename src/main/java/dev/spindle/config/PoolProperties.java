package dev.spindle.config;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The worker pool: how many jobs run at once, how many may wait, how long a shutdown waits.
 *
 * @param concurrency jobs running at once on this node (one virtual thread each)
 * @param maxQueued queued jobs (ready and delayed) admitted before submissions get 503
 * @param claimBatch most jobs moved to RUNNING in one store transaction (never more than free slots)
 * @param shutdownGrace how long running jobs may finish at shutdown before they are interrupted and re-queued
 */
@Validated
@ConfigurationProperties("spindle.pool")
public record PoolProperties(
        @DefaultValue("64") @Min(1) @Max(100_000) int concurrency,
        @DefaultValue("100000") @Min(1) int maxQueued,
        @DefaultValue("1000") @Min(1) @Max(1000) int claimBatch,
        @DefaultValue("10s") Duration shutdownGrace) {
}
