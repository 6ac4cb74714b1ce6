package dev.spindle.config;

import java.util.regex.Pattern;

/**
 * What the name of a queue or a schedule is. Lowercase, no dots: what {@code spindle.queues.<name>}
 * and {@code spindle.schedules.<name>} bind as they are from YAML, properties and environment
 * variables alike.
 */
public final class Names {

    public static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    /** The rule, for error messages: "must be " + this. */
    public static final String RULE = "1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit";

    private Names() {
    }

    public static boolean valid(String name) {
        return PATTERN.matcher(name).matches();
    }
}
