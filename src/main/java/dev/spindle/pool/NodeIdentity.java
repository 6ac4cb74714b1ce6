package dev.spindle.pool;

import java.time.Instant;

/**
 * Who this process is: the node name (a label, kept across restarts and possibly shared by two
 * processes on one host) and the instance id of this process start, which owns its leases.
 */
record NodeIdentity(String node, String instance, Instant startedAt) {
}
