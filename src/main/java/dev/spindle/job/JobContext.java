package dev.spindle.job;

import java.time.Instant;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** What a handler knows about the attempt it runs. */
public interface JobContext {

    String jobId();

    JsonNode payload();

    /** The key the client submitted the job with, if any. */
    @Nullable String idempotencyKey();

    /** 1 for the first attempt. */
    int attempt();

    /** Grows with every claim of this job, so a downstream can refuse writes from an older run. */
    long fencingToken();

    /** When the attempt times out; the thread is interrupted then. */
    Instant deadline();

    /** Reports progress from 0 to 1; shown as {@code progress} on the job. */
    void progress(double fraction);
}
