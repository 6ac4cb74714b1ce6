package dev.spindle.store;

import java.time.Instant;

/** What the dispatcher needs to order a queued job: higher priority first, then earlier runAt, then older id. */
public record QueuedJob(String id, int priority, Instant runAt) {
}
