package dev.spindle.job;

import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Checks on text that reaches the store from outside, the same for every field and both
 * protocols: PostgreSQL cannot hold a NUL character in {@code text} nor {@code jsonb}, and no
 * Spindle field needs one, so a NUL is refused wherever it appears.
 */
public final class InputChecks {

    private InputChecks() {
    }

    /** Adds an error naming {@code field} when {@code value} holds a NUL character. */
    public static void text(String field, @Nullable String value, List<String> errors) {
        if (value != null && value.indexOf('\0') >= 0) {
            errors.add(field + ": must not contain the NUL character (\\u0000)");
        }
    }

    /** Adds an error naming the first member of {@code json} (a key or a string) that holds a NUL character. */
    public static void json(String field, JsonNode json, List<String> errors) {
        String path = nulAt(field, json);
        if (path != null) {
            errors.add(path + ": must not contain the NUL character (\\u0000)");
        }
    }

    private static @Nullable String nulAt(String path, JsonNode node) {
        if (node.isString()) {
            return node.asString().indexOf('\0') >= 0 ? path : null;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> member : node.properties()) {
                if (member.getKey().indexOf('\0') >= 0) {
                    return path;
                }
                String found = nulAt(path + "." + member.getKey(), member.getValue());
                if (found != null) {
                    return found;
                }
            }
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = nulAt(path + "[" + i + "]", node.get(i));
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
