package dev.spindle.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Leases and heartbeats. Every node renews the leases of the jobs it runs each heartbeat; a job
 * whose lease runs out (its node died) is re-queued by any node's reaper.
 *
 * @param leaseTtl how long a claim holds without renewal; a dead node's jobs run again after this
 * @param heartbeatInterval how often a node renews its leases, reaps expired ones and re-reads the backlog size
 * @param pollInterval with a shared store, how often an idle dispatcher looks for jobs without being notified
 */
@ConfigurationProperties("spindle.cluster")
public record ClusterProperties(
        @DefaultValue("30s") Duration leaseTtl,
        @DefaultValue("5s") Duration heartbeatInterval,
        @DefaultValue("1s") Duration pollInterval) {
}
