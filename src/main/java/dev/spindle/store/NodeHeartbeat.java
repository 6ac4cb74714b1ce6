package dev.spindle.store;

import java.time.Instant;
import java.util.List;

/**
 * A process saying it is alive: which start of which node, when, until when its leases hold, and
 * what it runs.
 *
 * @param instance this process start's own id; leases belong to it
 * @param node the node name, a label that a restarted process keeps
 * @param forgetBefore registry rows of instances silent since before this are removed
 * @param running the jobs this process holds (running, or their outcome not stored yet): only their
 *        leases are renewed, so a row left RUNNING under this instance that it does not know of (claimed
 *        by a commit whose answer was lost) runs again once its lease runs out, not never
 */
public record NodeHeartbeat(String instance, String node, Instant startedAt, Instant now, Instant leaseUntil,
        int concurrency, Instant forgetBefore, List<String> running) {

    public NodeHeartbeat {
        running = List.copyOf(running);
    }
}
