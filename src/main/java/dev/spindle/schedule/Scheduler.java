package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.spindle.config.ScheduleProperties;
import dev.spindle.job.JobService;
import dev.spindle.job.OverloadedException;
import dev.spindle.store.ScheduleStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;
import org.springframework.stereotype.Component;

/**
 * This node's ticker: one thread that fires the schedules whose time has come, then waits until
 * the earliest next fire time in the store, or {@code spindle.scheduler.refresh} at most (a schedule
 * another node created or resumed is seen within that), or until this node changes one. No leader:
 * every node ticks, and the store applies one fire per fire time.
 */
@Component
public class Scheduler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final ScheduleFiring firing;

    private final ConfiguredSchedules configured;

    private final ScheduleStore store;

    private final JobService jobs;

    private final ScheduleProperties.Scheduler settings;

    private final Semaphore wakeups = new Semaphore(0);

    private volatile boolean running;

    private volatile @Nullable Thread thread;

    private volatile boolean synced;

    Scheduler(ScheduleFiring firing, ConfiguredSchedules configured, ScheduleStore store, JobService jobs,
            ScheduleProperties properties) {
        this.firing = firing;
        this.configured = configured;
        this.store = store;
        this.jobs = jobs;
        this.settings = properties.scheduler();
    }

    /** Makes the ticker look at the schedules now: one was created, replaced or resumed here. */
    void wake() {
        if (wakeups.availablePermits() == 0) {
            wakeups.release();
        }
    }

    /**
     * One tick, as the ticker thread runs it: the configured schedules written (once), then every
     * due schedule fired.
     *
     * @return how long to wait before the next tick
     */
    Duration tick() {
        if (!synced) {
            configured.sync(jobs.now());
            synced = true;
        }
        if (!jobs.isAccepting()) {
            return settings.refresh();
        }
        firing.fireDue();
        Optional<Instant> next = store.nextFireAt();
        if (next.isEmpty()) {
            return settings.refresh();
        }
        Duration until = Duration.between(jobs.now(), next.get());
        // due still: a fire that could not be written (overload) waits a refresh, not a spin
        return until.isNegative() || until.isZero() || until.compareTo(settings.refresh()) > 0 ? settings.refresh()
                : until;
    }

    private void run() {
        while (running) {
            Duration wait;
            try {
                wait = tick();
            }
            catch (OverloadedException ex) {
                log.warn("Schedules could not fire now, retrying in {}: {}", settings.refresh(), ex.getMessage());
                wait = settings.refresh();
            }
            catch (DataAccessException ex) {
                log.warn("Schedules could not be read or fired, retrying in {}: {}", settings.refresh(),
                        ex.getMostSpecificCause().toString());
                wait = settings.refresh();
            }
            catch (RuntimeException ex) {
                log.error("A schedule tick failed; retrying in {}", settings.refresh(), ex);
                wait = settings.refresh();
            }
            try {
                if (wakeups.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                    wakeups.drainPermits();
                }
            }
            catch (InterruptedException ex) {
                return;
            }
        }
    }

    @Override
    public void start() {
        if (!settings.enabled() || running) {
            return;
        }
        running = true;
        Thread ticker = new Thread(this::run, "spindle-scheduler");
        ticker.setDaemon(true);
        thread = ticker;
        ticker.start();
    }

    @Override
    public void stop() {
        running = false;
        Thread ticker = thread;
        if (ticker == null) {
            return;
        }
        // not interrupted: a tick in the store finishes (its statements are bounded), then the loop ends
        wakeups.release();
        try {
            ticker.join(STOP_WAIT.toMillis());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** With the intake: it stops first at shutdown (a fire then would be refused anyway). */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }
}
