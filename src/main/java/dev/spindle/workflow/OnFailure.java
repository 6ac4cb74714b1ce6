package dev.spindle.workflow;

import java.util.Arrays;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a step that ends FAILED or CANCELLED does to the steps that depend on it. */
public enum OnFailure {

    /** They never run: each ends CANCELLED with {@code dependency_failed}, and so do theirs. */
    CANCEL_DEPENDENTS("cancel_dependents"),

    /** They run anyway once their dependencies have ended (a cleanup or report step, say). */
    CONTINUE("continue");

    private final String value;

    OnFailure(String value) {
        this.value = value;
    }

    @JsonValue
    public String value() {
        return value;
    }

    public static Optional<OnFailure> of(String value) {
        return Arrays.stream(values()).filter(policy -> policy.value.equals(value)).findFirst();
    }
}
