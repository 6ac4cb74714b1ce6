package dev.spindle.schedule;

import java.util.Arrays;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a fire does when the schedule's previous run (its last job) has not finished. */
public enum OverlapPolicy {

    /** Submits the new run beside it. */
    ALLOW("allow"),

    /** Submits nothing for this fire time (counted as an overlap skipped). */
    SKIP("skip"),

    /** Cancels the previous run, then submits the new one. */
    CANCEL_PREVIOUS("cancel_previous");

    private final String value;

    OverlapPolicy(String value) {
        this.value = value;
    }

    @JsonValue
    public String value() {
        return value;
    }

    public static Optional<OverlapPolicy> of(String value) {
        return Arrays.stream(values()).filter(policy -> policy.value.equals(value)).findFirst();
    }
}
