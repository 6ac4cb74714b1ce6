package dev.spindle.schedule;

/** No schedule of that name. REST answers 404. */
public class ScheduleNotFoundException extends RuntimeException {

    public ScheduleNotFoundException(String name) {
        super("No schedule '" + name + "'");
    }
}
