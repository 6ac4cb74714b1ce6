package dev.spindle.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import dev.spindle.schedule.Schedule;
import dev.spindle.schedule.ScheduleDefinition;
import dev.spindle.schedule.ScheduleSource;
import org.jspecify.annotations.Nullable;

/** Schedules as the store keeps them, the same for every node. */
public interface ScheduleStore {

    /**
     * @param submittedBy who defines it ({@link Schedule#submittedBy()})
     * @return false when a schedule of that name exists (nothing is changed)
     */
    boolean insertSchedule(String name, ScheduleDefinition definition, ScheduleSource source,
            @Nullable String submittedBy, @Nullable Instant next, Instant now);

    Optional<Schedule> findSchedule(String name);

    /** Every schedule, by name. */
    List<Schedule> listSchedules();

    /**
     * Replaces the definition of a schedule still at {@code revision}, moving its revision on.
     *
     * @param submittedBy who defines it now, in place of who did before
     * @param next its next fire time from now on
     * @return false when it is gone or at another revision
     */
    boolean replaceSchedule(String name, long revision, ScheduleDefinition definition, ScheduleSource source,
            @Nullable String submittedBy, @Nullable Instant next, Instant now);

    /** @return false when there is none */
    boolean deleteSchedule(String name);

    /**
     * Deletes the schedules that came from configuration and are no longer in it.
     *
     * @return their names
     */
    List<String> deleteConfiguredExcept(Collection<String> configured);

    /**
     * Pauses a schedule still at {@code revision}, or resumes it from {@code next} (the fire times
     * while it was paused are not fired).
     *
     * @return false when it is gone or at another revision
     */
    boolean pauseSchedule(String name, long revision, boolean paused, @Nullable Instant next, Instant now);

    /** Up to {@code limit} schedules not paused whose next fire time has come, earliest first. */
    List<Schedule> dueSchedules(Instant now, int limit);

    /** The earliest next fire time of the schedules not paused. */
    Optional<Instant> nextFireAt();

    /**
     * Applies a fire: moves the schedule on, inserts its jobs and adds to its counts, in one
     * transaction, if the schedule is still at the fire's revision (and, unless it is a trigger, not
     * paused and still due at {@code fire.due()}); else changes nothing. Of the nodes that fire the same
     * time, one applies it.
     *
     * @return the jobs inserted (QUEUED), or -1 when the fire did not apply
     */
    int fireSchedule(ScheduleFire fire);

    /** How many schedules are paused, or not. */
    long countSchedules(boolean paused);
}
