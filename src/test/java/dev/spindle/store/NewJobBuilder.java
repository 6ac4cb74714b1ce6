package dev.spindle.store;

import java.time.Duration;
import java.time.Instant;

/** Test data: a queued noop job due at a given instant, changed field by field. */
final class NewJobBuilder {

    private final Instant now;

    private final String id = TestStores.nextId();

    private String type = "noop";

    private String payload = "{}";

    private int priority = 5;

    private int maxAttempts = 3;

    private String idempotencyKey;

    private String queue = "default";

    private String concurrencyKey;

    private Instant runAt;

    private String submittedBy;

    NewJobBuilder(Instant now) {
        this.now = now;
    }

    NewJobBuilder type(String type) {
        this.type = type;
        return this;
    }

    NewJobBuilder payload(String json) {
        this.payload = json;
        return this;
    }

    NewJobBuilder priority(int priority) {
        this.priority = priority;
        return this;
    }

    NewJobBuilder maxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
        return this;
    }

    NewJobBuilder idempotencyKey(String key) {
        this.idempotencyKey = key;
        return this;
    }

    NewJobBuilder queue(String queue) {
        this.queue = queue;
        return this;
    }

    NewJobBuilder concurrencyKey(String key) {
        this.concurrencyKey = key;
        return this;
    }

    NewJobBuilder runAt(Instant runAt) {
        this.runAt = runAt;
        return this;
    }

    NewJobBuilder submittedBy(String name) {
        this.submittedBy = name;
        return this;
    }

    NewJob build() {
        return new NewJob(id, type, queue, concurrencyKey, TestStores.JSON.readTree(payload), priority, maxAttempts,
                Duration.ofSeconds(30), runAt == null ? now : runAt, idempotencyKey, now, submittedBy);
    }
}
