package dev.spindle.job;

import java.util.List;

/**
 * A request that cannot be served as it is: {@link #errors()} names each fault, field first.
 * Nothing was stored or changed. REST answers 400, RESP {@code -ERR}.
 */
public class InvalidInputException extends RuntimeException {

    private final List<String> errors;

    public InvalidInputException(List<String> errors) {
        super(String.join("; ", errors));
        this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
        return errors;
    }
}
