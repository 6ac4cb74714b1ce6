package dev.spindle.job;

import java.util.List;

/** A submission that cannot be accepted as it is; {@link #errors()} names each fault. Nothing was stored. */
public class InvalidJobException extends InvalidInputException {

    public InvalidJobException(List<String> errors) {
        super(errors);
    }
}
