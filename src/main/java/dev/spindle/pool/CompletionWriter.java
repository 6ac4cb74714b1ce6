package dev.spindle.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

import dev.spindle.job.JobError;
import dev.spindle.store.Completion;
import dev.spindle.store.JobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataIntegrityViolationException;

/**
 * Writes completions and progress to the store in batches from one thread: whatever has piled up
 * while the previous batch was written goes in the next transaction, so under load many jobs share
 * a commit and when idle a completion is written at once. A failed write is retried, never dropped;
 * a completion the store refuses outright (its result too large) becomes a {@code result_rejected} failure.
 * Only this thread touches the store for them, and it is never interrupted (an interrupt inside a
 * JDBC call can close an embedded database's file).
 */
final class CompletionWriter {

    private static final Logger log = LoggerFactory.getLogger(CompletionWriter.class);

    private static final int MAX_BATCH = 1000;

    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);

    private sealed interface Item permits Done, Progress, Stop {
    }

    private record Done(Completion completion) implements Item {
    }

    private record Progress(String id, long fencingToken, double fraction) implements Item {
    }

    private record Stop() implements Item {
    }

    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();

    private final JobStore store;

    private final Consumer<List<Completion>> afterWrite;

    private final Thread thread;

    CompletionWriter(JobStore store, Consumer<List<Completion>> afterWrite) {
        this.store = store;
        this.afterWrite = afterWrite;
        this.thread = Thread.ofPlatform().name("spindle-completion-writer").daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    void complete(Completion completion) {
        queue.add(new Done(completion));
    }

    void progress(String id, long fencingToken, double fraction) {
        queue.add(new Progress(id, fencingToken, fraction));
    }

    /** Writes everything submitted so far, then stops the thread. */
    void stop() throws InterruptedException {
        queue.add(new Stop());
        thread.join();
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
            List<Completion> completions = new ArrayList<>(items.size());
            Map<String, Progress> progress = new LinkedHashMap<>();
            for (Item item : items) {
                switch (item) {
                    case Done done -> completions.add(done.completion());
                    case Progress p -> progress.put(p.id(), p);
                    case Stop stop -> stopping = true;
                }
            }
            items.clear();
            write(completions, progress);
            if (stopping && !queue.isEmpty()) {
                stopping = false;
                queue.add(new Stop());
            }
        }
    }

    private void write(List<Completion> completions, Map<String, Progress> progress) {
        List<Completion> written = completions;
        while (true) {
            try {
                progress.values().forEach(p -> store.progress(p.id(), p.fencingToken(), p.fraction()));
                store.complete(written);
                break;
            }
            catch (DataIntegrityViolationException ex) {
                // one completion the store refuses (a result too large, say) must not hold up the rest
                written = isolate(written);
                break;
            }
            catch (RuntimeException ex) {
                log.warn("Could not store {} job completions, retrying in {}: {}", written.size(), RETRY_DELAY,
                        ex.toString());
                pause();
            }
        }
        try {
            afterWrite.accept(written);
        }
        catch (RuntimeException ex) {
            log.error("Failed to hand on {} stored completions", written.size(), ex);
        }
    }

    /** Writes completions one by one; one the store refuses becomes a failure that says why. */
    private List<Completion> isolate(List<Completion> completions) {
        List<Completion> written = new ArrayList<>(completions.size());
        for (Completion completion : completions) {
            Completion outcome = completion;
            while (true) {
                try {
                    store.complete(List.of(outcome));
                    break;
                }
                catch (DataIntegrityViolationException ex) {
                    if (outcome != completion) {
                        throw ex;
                    }
                    log.warn("The store refused the outcome of job {}; failing it instead: {}", completion.id(),
                            ex.getMostSpecificCause().toString());
                    outcome = Completion.failed(completion.id(), completion.fencingToken(), new JobError("result_rejected",
                            "The store refused this attempt's result: " + ex.getMostSpecificCause().getMessage()),
                            completion.at());
                }
                catch (RuntimeException ex) {
                    log.warn("Could not store the completion of job {}, retrying in {}: {}", completion.id(),
                            RETRY_DELAY, ex.toString());
                    pause();
                }
            }
            written.add(outcome);
        }
        return written;
    }

    private static void pause() {
        try {
            Thread.sleep(RETRY_DELAY);
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
