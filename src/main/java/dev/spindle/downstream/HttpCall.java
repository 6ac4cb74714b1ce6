package dev.spindle.downstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The payload of an {@code http} job, checked: a named downstream, a method, a path that stays under
 * the downstream's base URL, and optional query, headers, body and expected statuses.
 *
 * <pre>{"downstream": "payments", "method": "POST", "path": "/charges", "query": {"dry": true},
 *  "headers": {"X-Tenant": "7"}, "body": {"amount": 100}, "expectStatus": [200, 201]}</pre>
 *
 * @param query parameters in order; a value may repeat a name
 * @param expectStatus the statuses that mean success; empty: any 2xx
 */
record HttpCall(
        String downstream,
        String method,
        String path,
        List<Map.Entry<String, String>> query,
        Map<String, String> headers,
        @Nullable JsonNode body,
        Set<Integer> expectStatus) {

    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private static final Set<String> FIELDS = Set.of("downstream", "method", "path", "query", "headers", "body",
            "expectStatus");

    /** Unreserved, sub-delims, ':', '@', '/' and percent escapes: RFC 3986's path characters. */
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9\\-._~!$&'()*+,;=:@/%]*");

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,256}");

    /**
     * Headers a job may not set: they would change where or how the request goes (a different Host
     * is a different site behind a shared proxy), or they are Spindle's own.
     */
    private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
            "connection", "keep-alive", "upgrade", "te", "trailer", "expect", "forwarded", "via", "idempotency-key");

    private static final List<String> RESERVED_PREFIXES = List.of("proxy-", "x-forwarded-", "spindle-");

    private static final int MAX_PATH = 2048;

    private static final int MAX_ENTRIES = 100;

    private static final int MAX_VALUE = 8192;

    /**
     * Reads and checks a payload.
     *
     * @param downstreams the configured downstream names
     * @throws IllegalArgumentException naming the first thing wrong
     */
    static HttpCall parse(JsonNode payload, Set<String> downstreams) {
        for (String field : payload.propertyNames()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("payload." + field + " is not a field of an http job; fields are "
                        + new TreeSet<>(FIELDS));
            }
        }
        String downstream = text(payload, "downstream");
        if (!downstreams.contains(downstream)) {
            throw new IllegalArgumentException("payload.downstream '" + downstream + "' is not a configured downstream; "
                    + (downstreams.isEmpty() ? "none is configured (spindle.downstreams.<name>.base-url)"
                            : "configured: " + new TreeSet<>(downstreams)));
        }
        String method = text(payload, "method").toUpperCase(Locale.ROOT);
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("payload.method must be one of " + new TreeSet<>(METHODS));
        }
        String path = path(text(payload, "path"));
        JsonNode body = payload.get("body");
        if (body != null && (method.equals("GET") || method.equals("HEAD"))) {
            throw new IllegalArgumentException("payload.body is not allowed with " + method);
        }
        return new HttpCall(downstream, method, path, query(payload.get("query")), headers(payload.get("headers")),
                body, expectStatus(payload.get("expectStatus")));
    }

    private static String text(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        if (node == null || !node.isString() || node.asString().isBlank()) {
            throw new IllegalArgumentException("payload." + field + " must be a non-empty string");
        }
        return node.asString();
    }

    /**
     * A path relative to the base URL that cannot leave it: no scheme or host ({@code //evil} or
     * {@code http://…} do not match), no query or fragment, no dot segments, also when
     * percent-encoded, and no encoded slashes or backslashes.
     */
    static String path(String path) {
        if (path.length() > MAX_PATH) {
            throw new IllegalArgumentException("payload.path is longer than " + MAX_PATH + " characters");
        }
        if (!PATH.matcher(path).matches() || path.startsWith("//")) {
            throw new IllegalArgumentException("payload.path must be a path under the downstream's base URL, "
                    + "starting with a single '/' and made of URL path characters (no scheme, host, query or fragment): '"
                    + abbreviate(path) + "'");
        }
        for (String segment : path.substring(1).split("/", -1)) {
            String decoded = percentDecode(segment);
            if (decoded.equals(".") || decoded.equals("..") || decoded.contains("/") || decoded.contains("\\")
                    || decoded.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("payload.path may not contain '.' or '..' segments, encoded slashes, "
                        + "backslashes or control characters: '" + abbreviate(path) + "'");
            }
        }
        return path;
    }

    private static String percentDecode(String segment) {
        if (segment.indexOf('%') < 0) {
            return segment;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%') {
                if (i + 2 >= segment.length() || Character.digit(segment.charAt(i + 1), 16) < 0
                        || Character.digit(segment.charAt(i + 2), 16) < 0) {
                    throw new IllegalArgumentException("payload.path has a malformed percent escape in '" + abbreviate(segment) + "'");
                }
                bytes.write(Integer.parseInt(segment, i + 1, i + 3, 16));
                i += 2;
            }
            else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static List<Map.Entry<String, String>> query(@Nullable JsonNode query) {
        if (query == null) {
            return List.of();
        }
        if (!query.isObject() || query.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("payload.query must be an object of at most " + MAX_ENTRIES
                    + " names, each a string, number or boolean, or an array of them");
        }
        List<Map.Entry<String, String>> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : query.properties()) {
            List<JsonNode> values = field.getValue().isArray() ? field.getValue().valueStream().toList() : List.of(field.getValue());
            for (JsonNode value : values) {
                if (!value.isValueNode() || value.isNull() || value.asString().length() > MAX_VALUE) {
                    throw new IllegalArgumentException("payload.query." + field.getKey()
                            + " must be a string, number or boolean (at most " + MAX_VALUE + " characters), or an array of them");
                }
                entries.add(Map.entry(field.getKey(), value.asString()));
            }
        }
        return List.copyOf(entries);
    }

    private static Map<String, String> headers(@Nullable JsonNode headers) {
        if (headers == null) {
            return Map.of();
        }
        if (!headers.isObject() || headers.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("payload.headers must be an object of at most " + MAX_ENTRIES + " string values");
        }
        Map<String, String> checked = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> header : headers.properties()) {
            String name = header.getKey();
            if (!TOKEN.matcher(name).matches()) {
                throw new IllegalArgumentException("payload.headers: '" + abbreviate(name) + "' is not a valid header name");
            }
            if (reserved(name)) {
                throw new IllegalArgumentException("payload.headers." + name + " may not be set by a job (it would change "
                        + "where or how the request goes, or it is Spindle's own; use the job's idempotencyKey for Idempotency-Key)");
            }
            JsonNode value = header.getValue();
            if (!value.isString() || value.asString().length() > MAX_VALUE
                    || value.asString().chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
                throw new IllegalArgumentException("payload.headers." + name
                        + " must be a string of at most " + MAX_VALUE + " characters without control characters");
            }
            checked.put(name, value.asString());
        }
        return checked;
    }

    static boolean reserved(String header) {
        String name = header.toLowerCase(Locale.ROOT);
        return RESERVED_HEADERS.contains(name) || RESERVED_PREFIXES.stream().anyMatch(name::startsWith);
    }

    private static Set<Integer> expectStatus(@Nullable JsonNode expect) {
        if (expect == null) {
            return Set.of();
        }
        List<JsonNode> values = expect.isArray() ? expect.valueStream().toList() : List.of(expect);
        SortedSet<Integer> statuses = new TreeSet<>();
        for (JsonNode value : values) {
            if (!value.isIntegralNumber() || value.asInt() < 100 || value.asInt() > 599) {
                throw new IllegalArgumentException("payload.expectStatus must be a status code from 100 to 599, or an array of them");
            }
            statuses.add(value.asInt());
        }
        if (statuses.isEmpty()) {
            throw new IllegalArgumentException("payload.expectStatus must not be an empty array");
        }
        return Collections.unmodifiableSortedSet(statuses);
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }

    /** Whether {@code status} means success for this call. */
    boolean expected(int status) {
        return expectStatus.isEmpty() ? status >= 200 && status < 300 : expectStatus.contains(status);
    }
}
