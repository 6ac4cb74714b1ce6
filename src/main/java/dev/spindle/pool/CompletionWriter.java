package dev.spindle.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import dev.spindle.job.JobError;
import dev.spindle.memory.OutOfMemoryExit;
import dev.spindle.store.Claim;
import dev.spindle.store.Claimed;
import dev.spindle.store.Completed;
import dev.spindle.store.Completion;
import dev.spindle.store.JobStore;
import dev.spindle.store.Progress;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.transaction.TransactionException;

/**
 * Writes completions and progress to the store in batches from one thread: whatever has piled up
 * while the previous batch was written goes in the next transaction, so under load many jobs share
 * a commit; while other attempts are still running a batch waits up to {@link #GATHER} for their
 * outcomes too. The same transaction claims the next due jobs for the freed slots ({@link Refill}),
 * which this thread then starts: one commit ends a batch and begins the next. A failed write is
 * retried (without its claim) until it succeeds or a stop's deadline passes; a completion the store
 * refuses outright (its result too large) becomes a {@code result_rejected} failure. Only this
 * thread touches the store for them.
 */
final class CompletionWriter {

    private static final Logger log = LoggerFactory.getLogger(CompletionWriter.class);

    private static final int MAX_BATCH = 1000;

    /** How long a batch waits for the outcomes of attempts still running. */
    static final Duration GATHER = Duration.ofMillis(1);

    /** What was written: every completion handed in, and those of them that changed their job, as stored. */
    interface Written {

        void accept(List<Completion> attempted, List<Completion> applied);
    }

    /**
     * The claim that rides along with a completion write, so that the slots those attempts freed
     * fill in the same commit (one commit per batch instead of two).
     */
    interface Refill {

        /** The claim for the next write, its slots taken; null for none. */
        @Nullable Claim claim();

        /** What the claim took (nothing if its write failed or was given up): starts it, frees the rest. */
        void claimed(Claim claim, Claimed claimed);
    }

    private sealed interface Item permits Done, Step, Stop {
    }

    private record Done(Completion completion) implements Item {
    }

    private record Step(Progress progress) implements Item {
    }

    private record Stop() implements Item {
    }

    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();

    private final JobStore store;

    private final String instance;

    private final Written afterWrite;

    private final Refill refill;

    /** Attempts running on this node, whose outcomes are about to come. */
    private final IntSupplier running;

    private final StoreOutage outage;

    private final Thread thread;

    /** System.nanoTime after which a failing write is given up; 0 while no stop asked for one. */
    private volatile long giveUpAt;

    private volatile @Nullable Throwable death;

    /** Set once a stop's deadline passed with the store failing: what is left is dropped, not retried. */
    private boolean gaveUp;

    private int dropped;

    CompletionWriter(JobStore store, String instance, Written afterWrite, Refill refill, IntSupplier running,
            StoreOutage outage) {
        this.store = store;
        this.instance = instance;
        this.afterWrite = afterWrite;
        this.refill = refill;
        this.running = running;
        this.outage = outage;
        this.thread = Thread.ofPlatform().name("spindle-completion-writer").daemon().unstarted(this::run);
        this.thread.setUncaughtExceptionHandler((t, ex) -> {
            OutOfMemoryExit.haltIfOutOfMemory(ex);
            death = ex;
            log.error("The completion writer died; no outcome is stored any more (liveness is DOWN)", ex);
        });
    }

    void start() {
        thread.start();
    }

    /** Whether the thread is running, or was never started; false once it died or stopped. */
    boolean alive() {
        return thread.getState() == Thread.State.NEW || thread.isAlive();
    }

    /** What killed the thread, if it died. */
    @Nullable Throwable death() {
        return death;
    }

    void complete(Completion completion) {
        queue.add(new Done(completion));
    }

    void progress(String id, long fencingToken, double fraction) {
        queue.add(new Step(new Progress(id, fencingToken, fraction)));
    }

    /**
     * Writes everything submitted so far, then stops the thread; a write still failing after
     * {@code patience} is given up (its jobs stay RUNNING until their lease runs out, or the next
     * start of an embedded store).
     */
    void stop(Duration patience) throws InterruptedException {
        giveUpAt = System.nanoTime() + Math.max(1, patience.toNanos());
        queue.add(new Stop());
        // a store call in flight at the deadline may still take its own timeout; not waited for
        if (!thread.join(patience.plusSeconds(1))) {
            log.warn("The completion writer is still inside a store call at the stop's deadline; not waiting for it");
        }
    }

    private void run() {
        List<Item> items = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                items.add(queue.take());
            }
            catch (InterruptedException ex) {
                continue;
            }
            queue.drainTo(items, MAX_BATCH - 1);
            gather(items);
            List<Completion> completions = new ArrayList<>(items.size());
            Map<String, Progress> progress = new LinkedHashMap<>();
            for (Item item : items) {
                switch (item) {
                    case Done done -> completions.add(done.completion());
                    case Step step -> progress.put(step.progress().id(), step.progress());
                    case Stop stop -> stopping = true;
                }
            }
            items.clear();
            write(completions, List.copyOf(progress.values()));
            if (stopping && !queue.isEmpty()) {
                stopping = false;
                queue.add(new Stop());
            }
        }
        if (dropped > 0) {
            log.warn("Gave up storing {} job completions at shutdown: the job store still failed at the stop's "
                    + "deadline; those jobs run again once their lease runs out (on the embedded store: at the next "
                    + "start)", dropped);
        }
    }

    /**
     * While jobs are still running here, waits up to {@link #GATHER} for their outcomes too: the
     * attempts of one claim end within moments of each other, and one commit for all of them costs
     * a fraction of one each (measured: three to four commits per claimed batch without this).
     */
    private void gather(List<Item> items) {
        long deadline = System.nanoTime() + GATHER.toNanos();
        while (items.size() < MAX_BATCH && running.getAsInt() > 0 && !(items.getLast() instanceof Stop)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Item next = queue.poll(left, TimeUnit.NANOSECONDS);
                if (next == null) {
                    return;
                }
                items.add(next);
                queue.drainTo(items, MAX_BATCH - items.size());
            }
            catch (InterruptedException ex) {
                return;
            }
        }
    }

    private void write(List<Completion> completions, List<Progress> progress) {
        List<Completion> attempted = completions;
        List<Completion> applied;
        Claimed claimed = Claimed.NOTHING;
        if (gaveUp) {
            dropped += completions.size();
            return;
        }
        Claim claim = null;
        try {
            claim = completions.isEmpty() ? null : refill.claim();
            while (true) {
                try {
                    Completed done = store.complete(instance, attempted, progress, claim);
                    applied = done.applied();
                    claimed = done.claimed();
                    outage.succeeded();
                    break;
                }
                catch (RuntimeException ex) {
                    if (claim != null) {
                        // the claim must not hold up the completions, nor be retried with a lease
                        // that is running out: they are written alone from here on
                        refill.claimed(claim, Claimed.NOTHING);
                        claim = null;
                    }
                    if (refusal(ex)) {
                        // one completion the store refuses (a result too large, say) or that cannot be
                        // written at all must not hold up the rest
                        Isolated isolated = isolate(attempted);
                        attempted = isolated.attempted();
                        applied = isolated.applied();
                        break;
                    }
                    if (givingUp()) {
                        // not stored, and not lost fences either: nothing is handed on
                        gaveUp = true;
                        dropped += attempted.size();
                        return;
                    }
                    outage.failed("storing " + attempted.size() + " job completions", ex);
                    pauseBeforeRetry();
                }
            }
            try {
                afterWrite.accept(attempted, applied);
            }
            catch (RuntimeException ex) {
                log.error("Failed to hand on {} stored completions", attempted.size(), ex);
            }
        }
        finally {
            if (claim != null) {
                refill.claimed(claim, claimed);
            }
        }
    }

    /** The retry delay, cut to what is left before a stop's deadline. */
    private void pauseBeforeRetry() {
        long at = giveUpAt;
        long delay = Dispatcher.STORE_RETRY_DELAY.toNanos();
        if (at != 0) {
            delay = Math.min(delay, Math.max(0, at - System.nanoTime()));
        }
        Dispatcher.pause(Duration.ofNanos(delay));
    }

    private boolean givingUp() {
        long at = giveUpAt;
        return at != 0 && System.nanoTime() - at > 0;
    }

    private record Isolated(List<Completion> attempted, List<Completion> applied) {
    }

    /**
     * Whether a failure is this batch's own rather than the store's: a refused row, or something
     * that is not a data access failure at all (a result that cannot be written as JSON).
     */
    private static boolean refusal(RuntimeException ex) {
        return ex instanceof DataIntegrityViolationException
                || !(ex instanceof DataAccessException || ex instanceof TransactionException);
    }

    /** Writes completions one by one; one the store refuses becomes a failure that says why. */
    private Isolated isolate(List<Completion> completions) {
        List<Completion> attempted = new ArrayList<>(completions.size());
        List<Completion> applied = new ArrayList<>(completions.size());
        for (Completion completion : completions) {
            Completion outcome = completion;
            boolean written = false;
            while (!written) {
                try {
                    applied.addAll(store.complete(instance, List.of(outcome), List.of()));
                    written = true;
                }
                catch (RuntimeException ex) {
                    if (refusal(ex) && outcome == completion) {
                        Throwable cause = ex instanceof DataAccessException access ? access.getMostSpecificCause() : ex;
                        log.warn("The store refused the outcome of job {}; failing it instead: {}", completion.id(),
                                cause.toString());
                        outcome = Completion.failed(completion.id(), completion.fencingToken(),
                                new JobError("result_rejected", "The store refused this attempt's result: " + cause),
                                completion.at()).inWorkflow(completion.workflowId());
                        continue;
                    }
                    if (givingUp()) {
                        // the rest is dropped, not handed on as if taken over
                        gaveUp = true;
                        dropped += completions.size() - attempted.size();
                        return new Isolated(attempted, applied);
                    }
                    outage.failed("storing the completion of job " + completion.id(), ex);
                    pauseBeforeRetry();
                }
            }
            attempted.add(outcome);
        }
        return new Isolated(attempted, applied);
    }
}
