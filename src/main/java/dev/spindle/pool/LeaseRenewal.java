package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.spindle.store.JobStore;
import dev.spindle.store.NodeHeartbeat;

/**
 * Housekeeping task: this process is alive. Renews the leases of the jobs it holds (by id, never
 * "whatever is RUNNING under this instance") and its row in the registry (forgetting rows silent
 * for long), and cancels the jobs whose cancel was asked through another node.
 */
final class LeaseRenewal implements Runnable {

    /** Registry rows of processes silent this many lease TTLs are removed. */
    private static final int FORGET_AFTER_TTLS = 20;

    private final JobStore store;

    private final NodeIdentity identity;

    private final Duration leaseTtl;

    private final int concurrency;

    private final Supplier<List<String>> running;

    private final Consumer<String> cancel;

    private final StoreOutage outage;

    private final Clock clock;

    /**
     * @param running the ids of the jobs this process holds: running, or their outcome not stored yet
     */
    LeaseRenewal(JobStore store, NodeIdentity identity, Duration leaseTtl, int concurrency,
            Supplier<List<String>> running, Consumer<String> cancel, StoreOutage outage, Clock clock) {
        this.store = store;
        this.identity = identity;
        this.leaseTtl = leaseTtl;
        this.concurrency = concurrency;
        this.running = running;
        this.cancel = cancel;
        this.outage = outage;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            Instant now = clock.instant();
            store.heartbeat(new NodeHeartbeat(identity.instance(), identity.node(), identity.startedAt(), now,
                    now.plus(leaseTtl), concurrency, now.minus(leaseTtl.multipliedBy(FORGET_AFTER_TTLS)),
                    running.get()))
                .forEach(cancel);
            outage.succeeded();
        }
        catch (RuntimeException ex) {
            outage.failed("renewing leases", ex);
        }
    }
}
