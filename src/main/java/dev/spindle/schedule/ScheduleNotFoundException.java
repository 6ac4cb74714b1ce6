package dev.spindle.schedule;

import dev.spindle.job.NotFoundException;

/** No schedule of that name. REST answers 404. */
public class ScheduleNotFoundException extends NotFoundException {

    public ScheduleNotFoundException(String name) {
        super("Schedule not found", "No schedule '" + name + "'");
    }
}
