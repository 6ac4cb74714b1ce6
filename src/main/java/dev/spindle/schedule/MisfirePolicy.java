package dev.spindle.schedule;

import java.util.Arrays;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What a schedule does with the fire times it missed while no node ran: those more than
 * {@code spindle.scheduler.misfire-grace} in the past when a node gets to them.
 */
public enum MisfirePolicy {

    /** They are not run; the schedule goes on from the next fire time. */
    SKIP("skip"),

    /** One run for all of them, for the latest. */
    RUN_ONCE("run_once"),

    /** One run each, the latest {@code catchUpLimit} of those within {@code catchUpWindow}. */
    CATCH_UP("catch_up");

    private final String value;

    MisfirePolicy(String value) {
        this.value = value;
    }

    @JsonValue
    public String value() {
        return value;
    }

    public static Optional<MisfirePolicy> of(String value) {
        return Arrays.stream(values()).filter(policy -> policy.value.equals(value)).findFirst();
    }
}
