package dev.spindle.store;

import java.time.Instant;

import dev.spindle.job.JobError;
import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The end of one attempt of a RUNNING job: terminal, or back to QUEUED for a retry.
 *
 * @param at when the attempt ended
 * @param runAt for a re-queue: when the next attempt may start
 * @param fencingToken the token of the attempt's claim: a completion from an older claim does nothing
 * @param refundAttempt the attempt does not count (a shutdown interrupted it, or it was deferred before it began)
 * @param workflowId the workflow of the job, which the store settles in the completion's
 *        transaction; null for a job outside any workflow, which costs the completion nothing
 *        more (whoever completes a workflow's job must say so: {@link #inWorkflow})
 */
public record Completion(
        String id,
        long fencingToken,
        JobState state,
        @Nullable JsonNode result,
        @Nullable JobError error,
        Instant at,
        @Nullable Instant runAt,
        boolean refundAttempt,
        @Nullable String workflowId) {

    /** This completion, of a job of workflow {@code workflowId} (null: of none). */
    public Completion inWorkflow(@Nullable String workflowId) {
        return new Completion(id, fencingToken, state, result, error, at, runAt, refundAttempt, workflowId);
    }

    public static Completion succeeded(String id, long token, @Nullable JsonNode result, Instant at) {
        return new Completion(id, token, JobState.SUCCEEDED, result, null, at, null, false, null);
    }

    public static Completion failed(String id, long token, JobError error, Instant at) {
        return new Completion(id, token, JobState.FAILED, null, error, at, null, false, null);
    }

    public static Completion cancelled(String id, long token, JobError error, Instant at) {
        return new Completion(id, token, JobState.CANCELLED, null, error, at, null, false, null);
    }

    public static Completion retry(String id, long token, JobError error, Instant at, Instant runAt) {
        return new Completion(id, token, JobState.QUEUED, null, error, at, runAt, false, null);
    }

    /** Back to QUEUED to run at {@code runAt}, without using up an attempt: the attempt could not begin. */
    public static Completion deferred(String id, long token, JobError error, Instant at, Instant runAt) {
        return new Completion(id, token, JobState.QUEUED, null, error, at, runAt, true, null);
    }

    /** Back to QUEUED to run at once on the next start, without using up an attempt. */
    public static Completion interrupted(String id, long token, JobError error, Instant at) {
        return new Completion(id, token, JobState.QUEUED, null, error, at, at, true, null);
    }
}
