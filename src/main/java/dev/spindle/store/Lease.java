package dev.spindle.store;

import java.time.Instant;

/**
 * Who claims jobs, and until when the claim holds without renewal.
 *
 * @param node the node name recorded on the jobs (a label)
 * @param instance the process start that owns the leases
 */
public record Lease(String node, String instance, Instant until) {
}
