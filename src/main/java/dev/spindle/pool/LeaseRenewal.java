package dev.spindle.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

import dev.spindle.store.JobStore;
import dev.spindle.store.NodeHeartbeat;

/**
 * Housekeeping task: this process is alive. Renews the leases of the jobs it runs and its row in
 * the registry (forgetting rows silent for long), and cancels the jobs whose cancel was asked
 * through another node.
 */
final class LeaseRenewal implements Runnable {

    /** Registry rows of processes silent this many lease TTLs are removed. */
    private static final int FORGET_AFTER_TTLS = 20;

    private final JobStore store;

    private final NodeIdentity identity;

    private final Duration leaseTtl;

    private final int concurrency;

    private final Consumer<String> cancel;

    private final StoreOutage outage;

    private final Clock clock;

    LeaseRenewal(JobStore store, NodeIdentity identity, Duration leaseTtl, int concurrency, Consumer<String> cancel,
            StoreOutage outage, Clock clock) {
        this.store = store;
        this.identity = identity;
        this.leaseTtl = leaseTtl;
        this.concurrency = concurrency;
        this.cancel = cancel;
        this.outage = outage;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            Instant now = clock.instant();
            store.heartbeat(new NodeHeartbeat(identity.instance(), identity.node(), identity.startedAt(), now,
                    now.plus(leaseTtl), concurrency, now.minus(leaseTtl.multipliedBy(FORGET_AFTER_TTLS))))
                .forEach(cancel);
            outage.succeeded();
        }
        catch (RuntimeException ex) {
            outage.failed("renewing leases", ex);
        }
    }
}
