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
     * Whether several nodes may share this store, each claiming jobs from it with
     * {@link #claimNext}; false for a store only one process can open (embedded H2), whose node
     * keeps the queue order in memory and claims by id.
     */
    boolean shared();

    /**
     * Moves those of the jobs that are still QUEUED to RUNNING on {@code node} with a lease until
     * {@code leaseUntil}, counting an attempt and taking a new fencing token.
     *
     * @return the jobs this call moved, as they now stand
     */
    List<Job> claim(Collection<String> ids, String node, Instant now, Instant leaseUntil);

    /**
     * Claims up to {@code max} due QUEUED jobs in dispatch order (priority, runAt, id) as
     * {@link #claim} does, skipping jobs that other nodes are claiming at the same moment.
     */
    List<Job> claimNext(int max, String node, Instant now, Instant leaseUntil);

    /** The earliest runAt of a QUEUED job, if any: when an idle dispatcher should look again. */
    Optional<Instant> nextRunAt();

    /** How many jobs are QUEUED, on every node. */
    long countQueued();

    /**
     * Ends attempts of RUNNING jobs. A completion does nothing when its job is no longer RUNNING
     * under the same fencing token (the lease was lost and the job claimed again).
     */
    void complete(List<Completion> completions);

    /** Records a running job's progress, under the attempt's fencing token. */
    void progress(String id, long fencingToken, double fraction);

    /**
     * The node is alive: renews the leases of the jobs it runs and its row in the node registry.
     *
     * @return ids of its running jobs whose cancel was asked through another node
     */
    List<String> heartbeat(NodeHeartbeat heartbeat);

    /** Takes a stopped node out of the registry. */
    void leave(String node);

    /** The node registry with the jobs each node runs now. */
    List<NodeView> nodes();

    /**
     * Re-queues RUNNING jobs whose lease ended before {@code now} (their node died): back to
     * QUEUED while attempts remain, else FAILED, both with error {@code lease_expired}.
     *
     * @return how many jobs were reaped
     */
    int reapExpired(Instant now);

    /**
     * Asks the node running a job to cancel it.
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
