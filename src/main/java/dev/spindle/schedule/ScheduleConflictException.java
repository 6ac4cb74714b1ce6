package dev.spindle.schedule;

/**
 * The schedule does not allow the operation as it stands: its name is taken, it is defined in
 * configuration, or its overlap policy refuses a trigger while its previous run goes on. REST answers 409.
 */
public class ScheduleConflictException extends RuntimeException {

    public ScheduleConflictException(String message) {
        super(message);
    }
}
