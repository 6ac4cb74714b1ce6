package dev.spindle.api;

import java.time.Duration;

import dev.spindle.config.ApiProperties;
import org.jspecify.annotations.Nullable;

/** Checks of what every resource's requests share: a long-poll's wait, a page's size, an idempotency key given twice. */
final class RequestParameters {

    private RequestParameters() {
    }

    /** {@code ?wait=} within {@code spindle.api.max-wait}. */
    static Duration wait(Duration wait, ApiProperties properties) {
        if (wait.isNegative() || wait.compareTo(properties.maxWait()) > 0) {
            throw new InvalidRequestException("wait: must be from PT0S to " + properties.maxWait());
        }
        return wait;
    }

    /** {@code ?limit=}, or the default page size. */
    static int pageSize(@Nullable Integer limit, ApiProperties properties) {
        int size = limit == null ? properties.defaultPageSize() : limit;
        if (size < 1 || size > properties.maxPageSize()) {
            throw new InvalidRequestException("limit: must be from 1 to " + properties.maxPageSize());
        }
        return size;
    }

    /** The idempotency key of a body field and an {@code Idempotency-Key} header: one, or both the same. */
    static @Nullable String idempotencyKey(@Nullable String field, @Nullable String header) {
        if (header == null) {
            return field;
        }
        if (field != null && !field.equals(header)) {
            throw new InvalidRequestException("Idempotency-Key header and idempotencyKey field differ; give one");
        }
        return header;
    }
}
