package dev.spindle.schedule;

import java.time.Instant;
import java.util.List;

import dev.spindle.config.Names;
import dev.spindle.config.ScheduleProperties;
import dev.spindle.job.InvalidInputException;
import dev.spindle.job.Job;
import dev.spindle.job.JobService;
import dev.spindle.job.JobState;
import dev.spindle.security.Caller;
import dev.spindle.store.ScheduleStore;
import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Service;

/**
 * Schedules for the API: create, read, replace, delete, pause, resume and trigger. A schedule is
 * submitted by whoever last defined it ({@link Caller}, on create and on a PUT that replaces it; a
 * pause, resume or trigger does not change it), and so are the jobs it fires.
 */
@Service
public class ScheduleService {

    private final ScheduleStore store;

    private final JobService jobs;

    private final ScheduleValidation validation;

    private final ScheduleFiring firing;

    private final ConfiguredSchedules configured;

    private final Scheduler ticker;

    private final int maxSchedules;

    ScheduleService(ScheduleStore store, JobService jobs, ScheduleValidation validation, ScheduleFiring firing,
            ConfiguredSchedules configured, Scheduler ticker, ScheduleProperties properties) {
        this.store = store;
        this.jobs = jobs;
        this.validation = validation;
        this.firing = firing;
        this.configured = configured;
        this.ticker = ticker;
        this.maxSchedules = properties.scheduler().maxSchedules();
    }

    /** A created or replaced schedule, and whether this call created it. */
    public record Saved(ScheduleView schedule, boolean created) {
    }

    /**
     * Creates a schedule; its first fire time is the first after now.
     *
     * @throws ScheduleConflictException when the name is taken
     */
    public ScheduleView create(ScheduleRequest request) {
        String name = request.name();
        if (name == null) {
            throw new InvalidInputException(List.of("name: must be given: " + Names.RULE));
        }
        ScheduleDefinition definition = validation.definition(name, request);
        if (!insert(name, definition, Caller.name())) {
            throw new ScheduleConflictException("A schedule named '" + name + "' exists; replace it with PUT /api/v1/schedules/" + name);
        }
        return find(name);
    }

    /**
     * Creates the schedule, or replaces the definition of the one of that name (its counts and
     * pause state stay; its next fire time too, unless its cron or zone changed). Either way it is
     * the caller's from now on: the jobs it fires are submitted by the caller.
     *
     * @throws ScheduleConflictException when the schedule is defined in configuration
     */
    public Saved put(String name, ScheduleRequest request) {
        if (request.name() != null && !request.name().equals(name)) {
            throw new InvalidInputException(List.of("name: the body names '" + request.name()
                    + "' but the path names '" + name + "'; leave it out or give the same"));
        }
        ScheduleDefinition definition = validation.definition(name, request);
        String submittedBy = Caller.name();
        Schedule current = store.findSchedule(name).orElse(null);
        if (current == null) {
            if (insert(name, definition, submittedBy)) {
                return new Saved(find(name), true);
            }
            current = existing(name);
        }
        editable(current, "replaced");
        Instant now = jobs.now();
        Instant next = definition.sameTimes(current.definition()) ? current.nextFireAt() : definition.fireTimes().next(now);
        if (!store.replaceSchedule(name, current.revision(), definition, ScheduleSource.API, submittedBy, next, now)) {
            throw changed(name);
        }
        ticker.wake();
        return new Saved(find(name), false);
    }

    private boolean insert(String name, ScheduleDefinition definition, @Nullable String submittedBy) {
        if (store.countSchedules(false) + store.countSchedules(true) >= maxSchedules) {
            throw new ScheduleConflictException("The store holds " + maxSchedules
                    + " schedules, the most it may (spindle.scheduler.max-schedules); delete one first");
        }
        Instant now = jobs.now();
        boolean inserted = store.insertSchedule(name, definition, ScheduleSource.API, submittedBy,
                definition.fireTimes().next(now), now);
        if (inserted) {
            ticker.wake();
        }
        return inserted;
    }

    /** @throws ScheduleNotFoundException when there is none */
    public ScheduleView find(String name) {
        return view(existing(name));
    }

    public List<ScheduleView> list() {
        return store.listSchedules().stream().map(this::view).toList();
    }

    /**
     * Deletes the schedule; the jobs it submitted stay.
     *
     * @throws ScheduleConflictException when it is defined in configuration
     */
    public void delete(String name) {
        editable(existing(name), "deleted");
        if (!store.deleteSchedule(name)) {
            throw new ScheduleNotFoundException(name);
        }
    }

    /** Stops every node firing it, from their next tick on (a run that has started goes on). */
    public ScheduleView pause(String name) {
        Schedule schedule = existing(name);
        if (!schedule.paused() && !store.pauseSchedule(name, schedule.revision(), true, null, jobs.now())) {
            throw changed(name);
        }
        return find(name);
    }

    /** Fires it again from the next fire time after now: the times while it was paused are not fired. */
    public ScheduleView resume(String name) {
        Schedule schedule = existing(name);
        Instant now = jobs.now();
        if (schedule.paused()
                && !store.pauseSchedule(name, schedule.revision(), false, schedule.definition().fireTimes().next(now), now)) {
            throw changed(name);
        }
        ticker.wake();
        return find(name);
    }

    /**
     * Submits the schedule's job now, paused or not, under its overlap policy, as submitted by the
     * schedule's {@link Schedule#submittedBy()} (as its fires are), whoever triggers it.
     *
     * @throws ScheduleConflictException when the overlap policy refuses it
     */
    public Job trigger(String name) {
        return firing.trigger(existing(name));
    }

    private Schedule existing(String name) {
        check(name);
        return store.findSchedule(name).orElseThrow(() -> new ScheduleNotFoundException(name));
    }

    private void editable(Schedule schedule, String what) {
        if (schedule.source() == ScheduleSource.CONFIG || configured.configured(schedule.name())) {
            throw new ScheduleConflictException("Schedule '" + schedule.name()
                    + "' is defined in configuration (spindle.schedules." + schedule.name() + ") and can only be "
                    + what + " there; pause, resume and trigger work over the API");
        }
    }

    private ScheduleView view(Schedule schedule) {
        return ScheduleView.of(schedule, lastJobState(schedule));
    }

    private @Nullable JobState lastJobState(Schedule schedule) {
        return schedule.lastJobId() == null ? null : jobs.find(schedule.lastJobId()).map(Job::state).orElse(null);
    }

    /** Another request changed or deleted it between our read and our write. */
    private static ScheduleConflictException changed(String name) {
        return new ScheduleConflictException("Schedule '" + name + "' was changed or deleted meanwhile; try again");
    }

    private static void check(String name) {
        if (!Names.valid(name)) {
            throw new InvalidInputException(List.of("name: a schedule name is " + Names.RULE));
        }
    }
}
