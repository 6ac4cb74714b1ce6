package dev.spindle.files;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.spindle.config.FilesProperties;
import dev.spindle.files.FileReads.Buffers;
import dev.spindle.files.FileWalk.Entry;
import dev.spindle.files.FileWalk.Walked;
import dev.spindle.job.JobContext;
import dev.spindle.job.JobFailure;
import dev.spindle.job.JobHandler;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.stereotype.Component;

/**
 * {@code files}: a checksum (SHA-256), line count or grep of every file under a path of a
 * configured root. The files are read concurrently on virtual threads, at most
 * {@code parallelism} at once; each file's result is one NDJSON line of the job's output, in the
 * order they complete, written by this handler's thread alone (the one streaming writer). A file
 * that cannot be read is an error line, unless {@code failFast} ends the job at the first. Progress
 * is the bytes read of the bytes the walk found; a cancel or timeout interrupts every read at once.
 * The result: files, bytes, errors, skipped (links and other non-regular files), elapsed.
 */
@Component
class FilesJobHandler implements JobHandler {

    /** Results waiting for the writer: readers wait when it falls behind, so memory stays bounded. */
    static final int PENDING = 256;

    /** How often progress is reported while no file completes. */
    static final long PROGRESS_EVERY_MS = 200;

    /** How long a stop waits for the readers it interrupted. */
    static final long STOP_WAIT_MS = 1000;

    private final FilesProperties properties;

    FilesJobHandler(FilesProperties properties) {
        this.properties = properties;
    }

    @Override
    public String type() {
        return "files";
    }

    @Override
    public String description() {
        return "Checksums, counts lines of or greps the files under a configured root, concurrently; one NDJSON line per file.";
    }

    @Override
    public String outputType() {
        return "application/x-ndjson";
    }

    @Override
    public void validate(JsonNode payload) {
        FilesRequest request = FilesRequest.of(payload, properties);
        try {
            RootPaths.resolve(properties.roots().get(request.root()), request.path());
        }
        catch (IOException ex) {
            throw new IllegalArgumentException("path: " + ex.getMessage());
        }
    }

    @Override
    public JsonNode handle(JobContext context) throws Exception {
        long began = System.nanoTime();
        FilesRequest request;
        try {
            request = FilesRequest.of(context.payload(), properties);
        }
        catch (IllegalArgumentException ex) {
            // valid at submit, not with this node's configuration (a root removed, say): no retry helps
            throw JobFailure.permanent("invalid_payload", ex.getMessage());
        }
        Path root;
        Path start;
        Walked walked;
        try {
            root = properties.roots().get(request.root()).toRealPath();
            start = RootPaths.resolve(root, request.path());
            walked = FileWalk.walk(root, start, request.matcher(), properties.maxFiles());
        }
        catch (IOException ex) {
            throw JobFailure.permanent("path_refused", "root '" + request.root() + "', path '" + request.path() + "': "
                    + ex.getMessage());
        }
        AtomicLong done = new AtomicLong();
        BlockingQueue<ObjectNode> results = new ArrayBlockingQueue<>(PENDING);
        ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();
        // at most parallelism readers at once: as many buffers, reused from file to file
        BlockingQueue<Buffers> buffers = new ArrayBlockingQueue<>(request.parallelism());
        Thread dispatcher = Thread.ofVirtual().name("files-" + context.jobId()).start(() -> dispatch(walked, root, request,
                readers, results, buffers, done));
        int errors = 0;
        try {
            int written = 0;
            while (written < walked.entries().size()) {
                // progress moves inside a large file too, not only as files complete
                ObjectNode result = results.poll(PROGRESS_EVERY_MS, TimeUnit.MILLISECONDS);
                context.progress(walked.bytes() == 0 ? (double) written / walked.entries().size()
                        : Math.min(1.0, (double) done.get() / walked.bytes()));
                if (result == null) {
                    continue;
                }
                written++;
                context.output().line(result);
                if (result.has("error")) {
                    errors++;
                    if (request.failFast()) {
                        throw JobFailure.permanent("file_error", "failFast: " + abbreviate(result.path("path").asString())
                                + ": " + abbreviate(result.path("error").asString()));
                    }
                }
            }
        }
        finally {
            dispatcher.interrupt();
            readers.shutdownNow();
            // the readers stop at their next read (the channel is interruptible)
            readers.awaitTermination(STOP_WAIT_MS, TimeUnit.MILLISECONDS);
            context.output().flush();
        }
        ObjectNode summary = JsonNodeFactory.instance.objectNode()
            .put("operation", request.operation().value())
            .put("files", walked.entries().size())
            .put("bytes", done.get())
            .put("errors", errors)
            .put("skipped", walked.skipped())
            .put("elapsedMs", (System.nanoTime() - began) / 1_000_000);
        return summary;
    }

    private static String abbreviate(String text) {
        return text.length() <= 300 ? text : text.substring(0, 150) + "…" + text.substring(text.length() - 150);
    }

    /** Starts a reader per file, at most {@code parallelism} at once. */
    private static void dispatch(Walked walked, Path root, FilesRequest request, ExecutorService readers,
            BlockingQueue<ObjectNode> results, BlockingQueue<Buffers> buffers, AtomicLong done) {
        Semaphore slots = new Semaphore(request.parallelism());
        try {
            for (Entry entry : walked.entries()) {
                slots.acquire();
                readers.execute(() -> {
                    Buffers taken = buffers.poll();
                    Buffers mine = taken == null ? Buffers.allocate() : taken;
                    try {
                        results.put(read(entry, root, request, mine, done));
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                    finally {
                        buffers.offer(mine);
                        slots.release();
                    }
                });
            }
        }
        catch (InterruptedException | java.util.concurrent.RejectedExecutionException ex) {
            // stopped: the job was cancelled, timed out or failed fast
        }
    }

    private static ObjectNode read(Entry entry, Path root, FilesRequest request, Buffers buffers, AtomicLong done)
            throws InterruptedException {
        ObjectNode line = JsonNodeFactory.instance.objectNode().put("path", entry.name());
        if (entry.failed()) {
            return line.put("error", entry.error());
        }
        try {
            // the tree may have changed since the walk: a directory on the way swapped for a link
            // out of the root (the file itself is opened without following a link)
            if (!entry.file().toRealPath().startsWith(root)) {
                return line.put("error", "refused: the file now leads outside its root");
            }
            ObjectNode result = switch (request.operation()) {
                case CHECKSUM -> FileReads.checksum(entry.file(), buffers, done);
                case LINES -> FileReads.lines(entry.file(), buffers, done);
                case GREP -> FileReads.grep(entry.file(), java.util.Objects.requireNonNull(request.pattern()),
                        request.maxMatches(), buffers, done);
            };
            return line.setAll(result);
        }
        catch (java.nio.channels.ClosedByInterruptException | FileReads.MatchInterrupted ex) {
            throw new InterruptedException("stopped inside " + entry.name());
        }
        catch (StackOverflowError ex) {
            return line.put("error", "the pattern is too complex for a line of this file (the match overflowed the stack)");
        }
        catch (IOException | RuntimeException | Error ex) {
            // whatever it is, the file gets its line: the writer counts one per file
            return line.put("error", ex.toString());
        }
    }
}
