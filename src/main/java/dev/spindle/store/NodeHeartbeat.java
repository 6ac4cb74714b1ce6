package dev.spindle.store;

import java.time.Instant;

/** A node saying it is alive: when, until when its leases hold, and what it runs. */
public record NodeHeartbeat(String node, Instant startedAt, Instant now, Instant leaseUntil, int concurrency) {
}
