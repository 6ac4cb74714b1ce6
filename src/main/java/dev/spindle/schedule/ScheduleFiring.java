package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.spindle.config.ScheduleProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobConflictException;
import dev.spindle.job.JobNotFoundException;
import dev.spindle.job.JobService;
import dev.spindle.job.OverloadedException;
import dev.spindle.store.NewJob;
import dev.spindle.store.ScheduleFire;
import dev.spindle.store.ScheduleStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.stereotype.Component;

/**
 * Fires schedules: plans each due one ({@link FirePlan}), cancels the previous run where its
 * overlap policy says so, and submits the jobs through {@link JobService} in the store transaction
 * that moves the schedule on. Every node may fire the same schedule at once: the store applies one
 * fire per fire time, and a job's idempotency key ({@code schedule:<name>:<fire time>}) is never
 * inserted twice.
 */
@Component
class ScheduleFiring {

    /** Schedules read per statement; a tick reads again while it gets full batches, up to {@link #MAX_BATCHES}. */
    static final int BATCH = 100;

    static final int MAX_BATCHES = 10;

    private static final Logger log = LoggerFactory.getLogger(ScheduleFiring.class);

    private final JobService jobs;

    private final ScheduleStore store;

    private final ScheduleMetrics metrics;

    private final JsonMapper json;

    private final Duration grace;

    ScheduleFiring(JobService jobs, ScheduleStore store, ScheduleMetrics metrics, JsonMapper json,
            ScheduleProperties properties) {
        this.jobs = jobs;
        this.store = store;
        this.metrics = metrics;
        this.json = json;
        this.grace = properties.scheduler().misfireGrace();
    }

    /** A fire the store did not apply: another node fired that time first, or the schedule changed. */
    private static final class NotApplied extends RuntimeException {

        NotApplied() {
            super(null, null, false, false);
        }
    }

    /**
     * Fires every schedule whose time has come. One that cannot fire now (its job no longer
     * validates here, the backlog has no room for its runs, a store error) is left due and the
     * others fire: it is tried again at the next tick, by this node or another.
     *
     * @return how many fires this node applied
     */
    int fireDue() {
        Instant now = jobs.now();
        int applied = 0;
        for (int batch = 0; batch < MAX_BATCHES; batch++) {
            List<Schedule> due = store.dueSchedules(now, BATCH);
            for (Schedule schedule : due) {
                try {
                    if (fire(schedule, now)) {
                        applied++;
                    }
                }
                catch (OverloadedException ex) {
                    log.warn("Schedule '{}' could not fire now: {}", schedule.name(), ex.getMessage());
                }
                catch (RuntimeException ex) {
                    log.warn("Schedule '{}' could not fire now", schedule.name(), ex);
                }
            }
            if (due.size() < BATCH) {
                break;
            }
        }
        return applied;
    }

    private boolean fire(Schedule schedule, Instant now) {
        ScheduleDefinition definition = schedule.definition();
        Instant due = schedule.nextFireAt();
        if (due == null) {
            return false;
        }
        Optional<Job> previous = previous(schedule);
        FirePlan plan = FirePlan.of(definition, definition.fireTimes(), due, now, grace,
                previous.isPresent() && !previous.get().state().isTerminal());
        List<NewJob> submit = new ArrayList<>(plan.submit().size());
        for (Instant at : plan.submit()) {
            NewJob job = job(schedule, at, "schedule:" + schedule.name() + ":" + at, now);
            if (job == null) {
                // its job does not validate on this node (a type it does not have, during a rolling
                // upgrade, say): the time stays due for a node that can submit it
                return false;
            }
            submit.add(job);
        }
        int inserted = apply(new ScheduleFire(schedule.name(), schedule.revision(), due, plan.next(), submit,
                plan.misfiresSkipped(), plan.overlapsSkipped(), plan.cancelPrevious() ? 1 : 0, now));
        if (inserted < 0) {
            return false;
        }
        // cancelled once the new run is committed, by the node that committed it
        if (plan.cancelPrevious()) {
            cancel(previous.orElseThrow());
        }
        metrics.fired(schedule.name(), new ScheduleCounts(inserted, 0, plan.misfiresSkipped(), plan.overlapsSkipped(),
                plan.cancelPrevious() ? 1 : 0));
        submit.forEach(job -> metrics.lag(schedule.name(), Duration.between(job.runAt(), now)));
        if (plan.misfiresSkipped() > 0) {
            log.info("Schedule '{}' left out {} fire times that were due more than {} ago (misfire policy {})",
                    schedule.name(), plan.misfiresSkipped(), grace, definition.misfire().value());
        }
        return true;
    }

    /**
     * Submits a job now, whatever the schedule's times, under its overlap policy: refused while the
     * previous run goes on under {@code skip}, and cancelling it under {@code cancel_previous}.
     *
     * @throws ScheduleConflictException when the overlap policy refuses it, or the schedule changed meanwhile
     */
    Job trigger(Schedule schedule) {
        Instant now = jobs.now();
        Optional<Job> previous = previous(schedule);
        boolean running = previous.isPresent() && !previous.get().state().isTerminal();
        OverlapPolicy overlap = schedule.definition().overlap();
        if (running && overlap == OverlapPolicy.SKIP) {
            throw new ScheduleConflictException("Schedule '" + schedule.name() + "': its previous run, job '"
                    + previous.get().id() + "', is " + previous.get().state()
                    + " and its overlap policy is skip; cancel that job first, or trigger once it has ended");
        }
        boolean cancelPrevious = running && overlap == OverlapPolicy.CANCEL_PREVIOUS;
        NewJob job = job(schedule, now, "schedule:" + schedule.name() + ":trigger:" + now, now);
        if (job == null) {
            throw new ScheduleConflictException("Schedule '" + schedule.name()
                    + "': its job is not valid here (see the log); replace the schedule");
        }
        int inserted = apply(new ScheduleFire(schedule.name(), schedule.revision(), null, null, List.of(job), 0, 0,
                cancelPrevious ? 1 : 0, now));
        if (inserted <= 0) {
            throw new ScheduleConflictException("Schedule '" + schedule.name() + "' changed while it was triggered; try again");
        }
        if (cancelPrevious) {
            cancel(previous.get());
        }
        metrics.fired(schedule.name(), new ScheduleCounts(0, 1, 0, 0, cancelPrevious ? 1 : 0));
        return job.toJob();
    }

    /** The schedule's last job, while the store still has it. */
    private Optional<Job> previous(Schedule schedule) {
        return schedule.lastJobId() == null ? Optional.empty() : jobs.find(schedule.lastJobId());
    }

    /** Cancels the previous run: CANCELLED at once, or its handler interrupted, wherever it runs. */
    private void cancel(Job previous) {
        try {
            jobs.cancel(previous.id());
        }
        catch (JobNotFoundException | JobConflictException ex) {
            // it ended (or went) meanwhile: nothing to cancel
        }
    }

    private @Nullable NewJob job(Schedule schedule, Instant at, String key, Instant now) {
        List<String> errors = new ArrayList<>();
        NewJob job = jobs.prepare(schedule.definition().job().request(json, at, key), schedule.submittedBy(), now, "job.",
                errors);
        if (job == null) {
            log.error("Schedule '{}' could not submit its job for {}: {}", schedule.name(), at, String.join("; ", errors));
        }
        return job;
    }

    /**
     * Writes the fire, its jobs admitted as any submission is.
     *
     * @return the jobs inserted, or -1 when the store did not apply the fire
     */
    private int apply(ScheduleFire fire) {
        if (fire.jobs().isEmpty()) {
            return store.fireSchedule(fire);
        }
        try {
            return jobs.submitNew(fire.jobs(), () -> {
                int inserted = store.fireSchedule(fire);
                if (inserted < 0) {
                    throw new NotApplied();
                }
                return inserted;
            });
        }
        catch (NotApplied ex) {
            return -1;
        }
    }
}
