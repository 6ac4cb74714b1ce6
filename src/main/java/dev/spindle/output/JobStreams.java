package dev.spindle.output;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.spindle.config.OutputProperties;
import dev.spindle.job.JobOutput;
import dev.spindle.job.JobOutput.OutputTooLargeException;
import dev.spindle.store.OutputStore;
import dev.spindle.store.OutputStore.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The output and log streams of the attempts running on this node. The worker pool opens an
 * attempt's streams when it starts it and finishes them (what is buffered, stored) before its
 * outcome is written; the log appender adds the lines a job logs on its thread; a flusher stores
 * what has waited the flush interval, so a follower sees a slow job's output as it comes.
 */
@Component
public class JobStreams implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobStreams.class);

    private final OutputStore store;

    private final OutputProperties properties;

    private final JsonMapper json;

    /** How often the end of an attempt's streams is tried to store, and the wait between tries (growing). */
    static final int FINISH_TRIES = 3;

    static final java.time.Duration FINISH_BACKOFF = java.time.Duration.ofMillis(100);

    /** The most the closing note of a log may pass {@code spindle.output.max-log-size} by. */
    static final int NOTE_ROOM = 200;

    private final Map<String, Attempt> open = new ConcurrentHashMap<>();

    private @Nullable ScheduledExecutorService flusher;

    private volatile Runnable onOpen = () -> { };

    JobStreams(OutputStore store, OutputProperties properties, JsonMapper json) {
        this.store = store;
        this.properties = properties;
        this.json = json;
    }

    /** The streams of one attempt. */
    public final class Attempt {

        private final String jobId;

        private final ChunkedStream output;

        private final ChunkedStream log;

        private final AtomicLong droppedLines = new AtomicLong();

        private volatile boolean overflowed;

        private final JobOutput view = new JobOutput() {

            @Override
            public void write(int b) throws IOException {
                write(new byte[] { (byte) b }, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                try {
                    output.write(bytes, offset, length);
                }
                catch (OutputTooLargeException ex) {
                    overflowed = true;
                    throw ex;
                }
            }

            @Override
            public void line(JsonNode value) throws IOException {
                byte[] line = json.writeValueAsBytes(value);
                byte[] withNewline = java.util.Arrays.copyOf(line, line.length + 1);
                withNewline[line.length] = '\n';
                write(withNewline, 0, withNewline.length);
            }

            @Override
            public void flush() {
                output.flush();
            }

            @Override
            public long size() {
                return output.size();
            }
        };

        private Attempt(String jobId, long fencingToken) {
            this.jobId = jobId;
            int chunk = (int) properties.chunkSize().toBytes();
            this.output = new ChunkedStream(store, jobId, fencingToken, Stream.OUTPUT, chunk, properties.maxSize().toBytes(),
                    false);
            // room past the limit for the note that says how many lines were not kept
            this.log = new ChunkedStream(store, jobId, fencingToken, Stream.LOG, chunk,
                    properties.maxLogSize().toBytes() + NOTE_ROOM, true);
        }

        /** What the handler writes to. */
        public JobOutput output() {
            return view;
        }

        /** Whether the handler wrote past {@code spindle.output.max-size} (the job then fails, whatever it returned). */
        public boolean overflowed() {
            return overflowed;
        }

        /** Keeps a log line in memory (never a store write inside a logging call): the flusher stores it. */
        void log(String line) {
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            try {
                if (log.size() + bytes.length <= properties.maxLogSize().toBytes()) {
                    log.write(bytes, 0, bytes.length);
                    return;
                }
            }
            catch (OutputTooLargeException ex) {
                // raced past the limit: counted below
            }
            droppedLines.incrementAndGet();
        }

        /** The attempt never ran (it could not be started): its streams are dropped. */
        public void abandon() {
            open.remove(jobId, this);
        }

        private void flushOlderThan(long nanos) {
            output.flushOlderThan(nanos);
            log.flushOlderThan(nanos);
        }

        /**
         * Stores what is buffered: the attempt's streams are then complete. A store that refuses is
         * tried again, {@link #FINISH_TRIES} times in all.
         *
         * @return false when the output could not be stored whole (the job then fails, retryable)
         */
        public boolean finish() {
            open.remove(jobId, this);
            long dropped = droppedLines.get();
            if (dropped > 0) {
                byte[] note = ("[" + dropped + " more log lines were not kept: spindle.output.max-log-size is "
                        + properties.maxLogSize() + "]\n").getBytes(StandardCharsets.UTF_8);
                try {
                    // the one line that may pass the limit, by at most NOTE_ROOM
                    log.write(note, 0, Math.min(note.length, NOTE_ROOM));
                }
                catch (OutputTooLargeException ex) {
                    // the room is taken: the note is left out
                }
            }
            boolean logStored = stored(log);
            if (!logStored) {
                JobStreams.log.warn("Job {}: the end of its log could not be stored", jobId);
            }
            return stored(output);
        }

        private boolean stored(ChunkedStream stream) {
            for (int tries = 1;; tries++) {
                try {
                    stream.flush();
                    return true;
                }
                catch (RuntimeException ex) {
                    if (tries == FINISH_TRIES) {
                        JobStreams.log.warn("Job {}: its output could not be stored: {}", jobId, ex.toString());
                        return false;
                    }
                    LockSupport.parkNanos(FINISH_BACKOFF.toNanos() * tries);
                }
            }
        }
    }

    /** The most one attempt may write to its output. */
    public org.springframework.util.unit.DataSize maxSize() {
        return properties.maxSize();
    }

    /** Opens the streams of an attempt: the claim with {@code fencingToken} of job {@code jobId}. */
    public Attempt open(String jobId, long fencingToken) {
        onOpen.run();
        Attempt attempt = new Attempt(jobId, fencingToken);
        open.put(jobId, attempt);
        return attempt;
    }

    /** Runs {@code check} as each attempt opens (the appender checks it is still attached). */
    void onOpen(Runnable check) {
        this.onOpen = check;
    }

    /** Adds a log line of a job running here; nothing when it is not. */
    void log(String jobId, String line) {
        Attempt attempt = open.get(jobId);
        if (attempt != null) {
            attempt.log(line);
        }
    }

    private void flushAll() {
        long nanos = properties.flushInterval().toNanos();
        for (Attempt attempt : open.values()) {
            try {
                attempt.flushOlderThan(nanos);
            }
            catch (RuntimeException ex) {
                log.warn("Job {}: its output could not be stored now, retrying: {}", attempt.jobId, ex.toString());
            }
        }
    }

    @Override
    public void start() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "spindle-output-flusher");
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(1, properties.flushInterval().toMillis() / 2);
        executor.scheduleWithFixedDelay(this::flushAll, period, period, TimeUnit.MILLISECONDS);
        flusher = executor;
    }

    @Override
    public void stop() {
        ScheduledExecutorService executor = flusher;
        if (executor != null) {
            executor.shutdownNow();
            flusher = null;
        }
    }

    @Override
    public boolean isRunning() {
        return flusher != null;
    }
}
