package dev.spindle.schedule;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a schedule is defined: the one place it may be changed or deleted. */
public enum ScheduleSource {

    /** {@code spindle.schedules.<name>}: every node writes it into the store at start. */
    CONFIG("config"),

    /** The REST API. */
    API("api");

    private final String value;

    ScheduleSource(String value) {
        this.value = value;
    }

    @JsonValue
    public String value() {
        return value;
    }

    public static ScheduleSource of(String value) {
        return CONFIG.value.equals(value) ? CONFIG : API;
    }
}
