package dev.spindle.job;

import tools.jackson.databind.JsonNode;

/**
 * Runs the jobs of one type. A Spring bean; adding a bean adds a job type.
 *
 * <p>A handler may run more than once for the same job (delivery is at-least-once): after a crash,
 * or when a retry follows a failure. Handlers that write elsewhere should be idempotent or use
 * {@link JobContext#fencingToken()}.
 */
public interface JobHandler {

    /** The type name clients submit, such as {@code noop}. */
    String type();

    /** One line for {@code GET /api/v1/job-types}. */
    String description();

    /** The media type of what the handler writes to {@link JobContext#output()}, as the API serves it. */
    default String outputType() {
        return "application/octet-stream";
    }

    /**
     * Rejects a payload this handler cannot run, so that the submission fails with 400 and nothing
     * is stored.
     *
     * @throws IllegalArgumentException naming what is wrong with the payload
     */
    default void validate(JsonNode payload) {
    }

    /**
     * Runs one attempt. Returns the result; throws to fail the attempt ({@link JobFailure} says
     * whether a retry can help; any other exception is a retryable {@code handler_error}), or
     * {@link JobDeferred} when the attempt could not begin and should not count. The
     * thread is interrupted when the job is cancelled or its timeout passes.
     */
    JsonNode handle(JobContext context) throws Exception;
}
