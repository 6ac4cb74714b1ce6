package dev.spindle.store;

import java.time.Instant;

/**
 * A process saying it is alive: which start of which node, when, until when its leases hold, and
 * what it runs.
 *
 * @param instance this process start's own id; leases belong to it
 * @param node the node name, a label that a restarted process keeps
 * @param forgetBefore registry rows of instances silent since before this are removed
 */
public record NodeHeartbeat(String instance, String node, Instant startedAt, Instant now, Instant leaseUntil,
        int concurrency, Instant forgetBefore) {
}
