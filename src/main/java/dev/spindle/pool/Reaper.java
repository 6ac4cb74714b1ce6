package dev.spindle.pool;

import java.time.Clock;

import dev.spindle.store.JobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Housekeeping task: ends the attempts whose lease ran out because the process running them died
 * (any node's reaper takes any process's jobs). They run again, fail when out of attempts, or end
 * CANCELLED when a cancel was asked meanwhile.
 */
final class Reaper implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Reaper.class);

    private final JobStore store;

    private final Runnable afterReap;

    private final StoreOutage outage;

    private final Clock clock;

    /** @param afterReap runs when jobs were reaped (some may be QUEUED again) */
    Reaper(JobStore store, Runnable afterReap, StoreOutage outage, Clock clock) {
        this.store = store;
        this.afterReap = afterReap;
        this.outage = outage;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            int reaped = store.reapExpired(clock.instant());
            outage.succeeded();
            if (reaped > 0) {
                log.warn("Reaped {} jobs whose process stopped renewing their leases; they run again "
                        + "(at-least-once delivery), fail if out of attempts, or end CANCELLED if a cancel was asked",
                        reaped);
                afterReap.run();
            }
        }
        catch (RuntimeException ex) {
            outage.failed("reaping expired leases", ex);
        }
    }
}
