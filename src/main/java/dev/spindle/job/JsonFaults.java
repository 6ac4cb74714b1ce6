package dev.spindle.job;

import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/** Says what was wrong with a submitted JSON document, the same way for REST and TCP. */
public final class JsonFaults {

    private JsonFaults() {
    }

    /** Names the fault in JSON Jackson could not read: the field and what was wrong with it. */
    public static String describe(JacksonException jackson) {
        String path = path(jackson);
        String field = path.isEmpty() ? "body" : path;
        if (jackson instanceof UnrecognizedPropertyException unknown) {
            return "Unknown field '" + path + "'; known fields are " + unknown.getKnownPropertyIds();
        }
        if (jackson instanceof InvalidFormatException invalid) {
            return field + ": '" + invalid.getValue() + "' is not a valid " + invalid.getTargetType().getSimpleName()
                    + hint(invalid.getTargetType());
        }
        if (jackson instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return field + ": expected a " + mismatch.getTargetType().getSimpleName() + hint(mismatch.getTargetType())
                    + " (" + jackson.getOriginalMessage() + ")";
        }
        if (jackson instanceof InputCoercionException coercion) {
            return field + ": the number is out of the range of " + coercion.getTargetType().getSimpleName() + " ("
                    + jackson.getOriginalMessage() + ")";
        }
        if (jackson instanceof StreamReadException) {
            return "Malformed JSON" + (path.isEmpty() ? "" : " at " + path) + ": " + jackson.getOriginalMessage();
        }
        return field + ": " + jackson.getOriginalMessage();
    }

    private static String hint(Class<?> type) {
        if (type == java.time.Duration.class) {
            return " (an ISO-8601 duration such as PT30S)";
        }
        if (type == java.time.Instant.class) {
            return " (an ISO-8601 instant such as 2026-01-01T00:00:00Z)";
        }
        return "";
    }

    private static String path(JacksonException ex) {
        StringBuilder path = new StringBuilder();
        List<JacksonException.Reference> references = ex.getPath();
        for (JacksonException.Reference reference : references) {
            if (reference.getPropertyName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getPropertyName());
            }
            else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
