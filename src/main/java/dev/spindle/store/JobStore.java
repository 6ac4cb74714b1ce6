package dev.spindle.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.spindle.job.Job;
import dev.spindle.job.JobPage;
import dev.spindle.job.JobQuery;
import org.jspecify.annotations.Nullable;

/**
 * Durable job storage. Every state change is a conditional write (it names the state it expects),
 * so a change that lost a race does nothing and says so; callers never overwrite each other.
 * Each method is one transaction: it happens whole or not at all.
 *
 * <p>A cancel asked for a RUNNING job sticks: whatever ends that attempt next (its completion, a
 * retry, a timeout, a lost lease), the job ends CANCELLED and never runs again.
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

    /**
     * Whether several processes may share this store; false for one that a single process owns
     * (the embedded SQLite file), whose RUNNING jobs at start all belong to processes that are gone.
     */
    boolean shared();

    /**
     * Moves up to {@code max} due QUEUED jobs to RUNNING under {@code lease}, counting an attempt and taking a new fencing token each; jobs that
     * other processes are claiming at the same moment are skipped. A row that cannot be read as a
     * job (stored by hand or by another version) is failed with {@code internal_error} in the same
     * transaction, logged once, and not returned: it never fails the claim.
     *
     * <p>Which jobs: queues by weight, the lanes of a queue
     * (its concurrency keys) in turn, dispatch order (priority, runAt, id) within a lane; none of a
     * paused queue, and none
     * beyond a queue's limits.
     *
     * @return the jobs claimed, as they now stand, in dispatch order, and whether more may be due
     */
    Claimed claim(Claim claim);

    /** {@link #claim(Claim)}, for the jobs alone. */
    default List<Job> claim(int max, Lease lease, Instant now) {
        return claim(new Claim(max, lease, now)).jobs();
    }

    /**
     * The earliest runAt after {@code now} of a QUEUED job, if any: when an idle dispatcher should
     * look again. Jobs due already that the last claim did not take are left out: a paused queue,
     * a limit or another node holds them, and what frees them wakes the dispatcher (or its poll).
     */
    Optional<Instant> nextRunAt(Instant now);

    /** How many jobs are QUEUED, on every node. */
    long countQueued();

    /**
     * Ends attempts of RUNNING jobs and records progress of others, in one transaction. A
     * completion does nothing when its job is no longer RUNNING under the same fencing token (the
     * lease was lost and the job claimed again); one whose job was asked to cancel ends it
     * CANCELLED, whatever the attempt's own outcome.
     *
     * @param instance the process whose attempts these are
     * @return the completions that changed their job, as stored (a cancelled one as {@code CANCELLED})
     */
    default List<Completion> complete(String instance, List<Completion> completions, List<Progress> progress) {
        return complete(instance, completions, progress, null).applied();
    }

    /**
     * {@link #complete(String, List, List)}, and in the same transaction {@link #claim} for the
     * slots those attempts freed: one commit ends a batch of attempts and starts the next. A claim
     * that fails rolls the completions back with it (the caller retries them without it).
     *
     * @param claim the claim to make after the completions, or null for none
     */
    Completed complete(String instance, List<Completion> completions, List<Progress> progress, @Nullable Claim claim);

    /**
     * The process is alive: renews the leases of the jobs it names as running (its own rows among
     * them) and its row in the registry, and forgets the rows of processes silent for long.
     *
     * @return ids of its running jobs whose cancel was asked through another node
     */
    List<String> heartbeat(NodeHeartbeat heartbeat);

    /** Takes a stopped process out of the registry. */
    void leave(String instance);

    /** The registry: process starts with the jobs each runs now. */
    List<NodeView> nodes();

    /**
     * Ends the attempts of RUNNING jobs whose lease ended before {@code now} (their process died):
     * back to QUEUED while attempts remain, else FAILED, both with error {@code lease_expired};
     * CANCELLED when a cancel was asked.
     *
     * @return how many jobs were reaped
     */
    int reapExpired(Instant now);

    /**
     * As {@link #reapExpired}, for every RUNNING job of a process other than {@code instance},
     * lease or not: for a store that one process owns, at its start.
     */
    int reapOthers(String instance, Instant now);

    /**
     * Records that a RUNNING job is to be cancelled, and tells the process running it.
     *
     * @return false when the job is not RUNNING
     */
    boolean requestCancel(String id);

    /** Tells the listener about jobs made available and cancels asked by other nodes, when the store can. */
    AutoCloseable subscribe(StoreListener listener);

    /**
     * Cancels a QUEUED job.
     *
     * @return the cancelled job, or empty when it was not QUEUED
     */
    Optional<Job> cancelQueued(String id, Instant now);

    /**
     * Cancels a WAITING workflow step (waiting for its dependencies, or for its children).
     *
     * @return the cancelled job, or empty when it was not WAITING
     */
    Optional<Job> cancelWaiting(String id, Instant now);

    /**
     * Puts a FAILED or CANCELLED job back to QUEUED with a fresh set of attempts; not a workflow's
     * job (its workflow is retried whole).
     *
     * @return the re-queued job, or empty when it was in another state or in a workflow
     */
    Optional<Job> requeue(String id, Instant now);

    /** Deletes up to {@code limit} terminal jobs that finished before {@code cutoff}; returns how many. */
    int deleteFinishedBefore(Instant cutoff, int limit);
}
