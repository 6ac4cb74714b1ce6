package dev.spindle.schedule;

import dev.spindle.job.ConflictException;

/**
 * The schedule does not allow the operation as it stands: its name is taken, it is defined in
 * configuration, or its overlap policy refuses a trigger while its previous run goes on. REST answers 409.
 */
public class ScheduleConflictException extends ConflictException {

    public ScheduleConflictException(String message) {
        super("Schedule conflict", message);
    }
}
