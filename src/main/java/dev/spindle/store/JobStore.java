package dev.spindle.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import dev.spindle.job.Job;

/**
 * Durable job storage. Every state change is a conditional write (it names the state it expects),
 * so a change that lost a race does nothing and says so; callers never overwrite each other.
 * Each method is one transaction: it happens whole or not at all.
 */
public interface JobStore {

    /**
     * Inserts the jobs, all or none.
     *
     * @throws DuplicateIdempotencyKeyException when an idempotency key is already taken
     */
    void insert(List<NewJob> jobs);

    Optional<Job> find(String id);

    Optional<Job> findByIdempotencyKey(String key);

    JobPage list(JobQuery query);

    /** Every QUEUED job, for the dispatcher's ready queue at start-up. */
    List<QueuedJob> queued();

    /**
     * Moves those of the jobs that are still QUEUED to RUNNING on {@code node}, counting an attempt.
     *
     * @return the jobs this call moved, as they now stand
     */
    List<Job> claim(Collection<String> ids, String node, Instant now);

    /** Ends attempts of RUNNING jobs; a completion whose job is no longer RUNNING does nothing. */
    void complete(List<Completion> completions);

    /** Records a running job's progress. */
    void progress(String id, double fraction);

    /**
     * Cancels a QUEUED job.
     *
     * @return the cancelled job, or empty when it was not QUEUED
     */
    Optional<Job> cancelQueued(String id, Instant now);

    /**
     * Puts a FAILED or CANCELLED job back to QUEUED with a fresh set of attempts.
     *
     * @return the re-queued job, or empty when it was in another state
     */
    Optional<Job> requeue(String id, Instant now);

    /**
     * Recovers jobs left RUNNING by a process that died (single-node store): back to QUEUED while
     * attempts remain, else FAILED, both with error {@code lease_expired}.
     *
     * @return how many jobs were recovered
     */
    int recoverRunning(Instant now);

    /** Deletes up to {@code limit} terminal jobs that finished before {@code cutoff}; returns how many. */
    int deleteFinishedBefore(Instant cutoff, int limit);
}
