package dev.spindle.store;

import java.time.Instant;

/** A process start in the registry: its node name, its last heartbeat and the number of jobs it runs now. */
public record NodeView(String instance, String node, Instant startedAt, Instant heartbeatAt, int concurrency,
        long running) {
}
