package dev.spindle.job;

import java.util.List;

/** A submission that cannot be accepted as it is; {@link #errors()} names each fault. Nothing was stored. */
public class InvalidJobException extends RuntimeException {

    private final List<String> errors;

    public InvalidJobException(List<String> errors) {
        super(String.join("; ", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
