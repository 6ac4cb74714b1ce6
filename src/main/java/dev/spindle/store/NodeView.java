package dev.spindle.store;

import java.time.Instant;

/** A node of the registry and the number of jobs it runs now. */
public record NodeView(String id, Instant startedAt, Instant heartbeatAt, int concurrency, long running) {
}
