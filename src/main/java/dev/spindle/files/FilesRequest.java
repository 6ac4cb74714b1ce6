package dev.spindle.files;

import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import dev.spindle.config.FilesProperties;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A {@code files} job's payload, checked whole: {@code root} (a configured root), {@code path}
 * under it (default {@code .}), {@code glob} over the paths below it (default {@code **}),
 * {@code operation} ({@code checksum}, {@code lines} or {@code grep}), for {@code grep} a
 * {@code pattern} (a Java regular expression) and {@code maxMatches}, {@code parallelism} and
 * {@code failFast}.
 */
record FilesRequest(String root, String path, String glob, Operation operation, @Nullable Pattern pattern,
        int maxMatches, int parallelism, boolean failFast) {

    enum Operation {
        CHECKSUM, LINES, GREP;

        String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Set<String> FIELDS = Set.of("root", "path", "glob", "operation", "pattern", "maxMatches",
            "parallelism", "failFast");

    static final int MAX_PATTERN = 1000;

    static final int MAX_GLOB = 256;

    /** Wildcards in a glob at most: each is a regular expression's {@code .*}, and many backtrack. */
    static final int MAX_WILDCARDS = 8;

    PathMatcher matcher() {
        return FileSystems.getDefault().getPathMatcher("glob:" + glob);
    }

    /** @throws IllegalArgumentException naming each field that is wrong */
    static FilesRequest of(JsonNode payload, FilesProperties properties) {
        List<String> errors = new ArrayList<>();
        payload.propertyNames().forEach(name -> {
            if (!FIELDS.contains(name)) {
                errors.add("unknown field '" + name + "' (known: " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
            }
        });
        String root = text(payload, "root", null, errors);
        if (root != null && !properties.roots().containsKey(root)) {
            errors.add("root: unknown root '" + root + "'"
                    + (properties.roots().isEmpty() ? "; none is configured (spindle.files.roots.<name>)"
                            : "; configured: " + String.join(", ", properties.roots().keySet().stream().sorted().toList())));
        }
        else if (root == null) {
            errors.add("root: must name a configured root (spindle.files.roots.<name>)");
        }
        String path = text(payload, "path", ".", errors);
        if (path != null) {
            String refused = RootPaths.refusal(path);
            if (refused != null) {
                errors.add("path: " + refused);
            }
        }
        String glob = text(payload, "glob", "**", errors);
        if (glob != null) {
            try {
                if (glob.length() > MAX_GLOB || glob.indexOf('\0') >= 0
                        || glob.chars().filter(c -> c == '*' || c == '?').count() > MAX_WILDCARDS) {
                    throw new IllegalArgumentException("at most " + MAX_GLOB + " characters and " + MAX_WILDCARDS
                            + " wildcards (* and ? count one each), no NUL");
                }
                FileSystems.getDefault().getPathMatcher("glob:" + glob);
            }
            catch (IllegalArgumentException ex) {
                errors.add("glob: not a valid glob: " + ex.getMessage());
            }
        }
        String operationName = text(payload, "operation", null, errors);
        Operation operation = null;
        if (operationName == null) {
            errors.add("operation: must be checksum, lines or grep");
        }
        else {
            try {
                operation = Operation.valueOf(operationName.toUpperCase(Locale.ROOT));
                if (!operation.value().equals(operationName)) {
                    throw new IllegalArgumentException();
                }
            }
            catch (IllegalArgumentException ex) {
                errors.add("operation: must be checksum, lines or grep, not '" + abbreviate(operationName) + "'");
            }
        }
        String patternText = text(payload, "pattern", null, errors);
        Pattern pattern = null;
        if (operation == Operation.GREP) {
            if (patternText == null || patternText.isEmpty()) {
                errors.add("pattern: grep needs a regular expression");
            }
            else if (patternText.length() > MAX_PATTERN) {
                errors.add("pattern: at most " + MAX_PATTERN + " characters");
            }
            else {
                try {
                    pattern = Pattern.compile(patternText);
                }
                catch (PatternSyntaxException ex) {
                    errors.add("pattern: not a valid regular expression: " + ex.getDescription());
                }
            }
        }
        else if (patternText != null) {
            errors.add("pattern: only for operation grep");
        }
        int maxMatches = number(payload, "maxMatches", Math.min(10, properties.maxMatches()), 0, properties.maxMatches(),
                errors);
        int parallelism = number(payload, "parallelism",
                Math.min(Runtime.getRuntime().availableProcessors(), properties.maxParallelism()), 1,
                properties.maxParallelism(), errors);
        JsonNode failFast = payload.get("failFast");
        if (failFast != null && !failFast.isBoolean()) {
            errors.add("failFast: must be true or false");
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", errors));
        }
        return new FilesRequest(root, path, glob, operation, pattern, maxMatches, parallelism,
                failFast != null && failFast.asBoolean());
    }

    private static @Nullable String text(JsonNode payload, String field, @Nullable String fallback, List<String> errors) {
        JsonNode value = payload.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isString()) {
            errors.add(field + ": must be a string");
            return null;
        }
        return value.asString();
    }

    private static int number(JsonNode payload, String field, int fallback, int min, int max, List<String> errors) {
        JsonNode value = payload.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
            errors.add(field + ": must be a whole number from " + min + " to " + max);
            return fallback;
        }
        return value.asInt();
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
