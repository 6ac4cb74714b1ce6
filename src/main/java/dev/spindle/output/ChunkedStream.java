package dev.spindle.output;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;
import java.util.Objects;

import dev.spindle.job.JobOutput.OutputTooLargeException;
import dev.spindle.store.OutputStore;
import dev.spindle.store.OutputStore.Chunk;
import dev.spindle.store.OutputStore.Stream;
import org.jspecify.annotations.Nullable;

/**
 * One stream of one attempt, buffered and stored in chunks: a chunk is cut when the buffer is full,
 * when the flusher finds bytes older than the flush interval, and at the end of the attempt. Cut
 * chunks are stored in order, one at a time, outside the buffer's lock: a writer never waits for
 * the store while another holds the buffer, and a chunk the store refused stays to be stored again.
 *
 * <p>An output stream stores the chunks it cuts on the writer's thread (what the handler writes
 * waits for the store, so memory is a chunk or two). A deferred stream (the log, written from
 * inside logging calls) only cuts them; the flusher and the end of the attempt store them, and the
 * size limit bounds what waits.
 */
final class ChunkedStream {

    private final OutputStore store;

    private final String jobId;

    private final long fencingToken;

    private final Stream stream;

    private final int chunkSize;

    private final long maxSize;

    private final boolean deferred;

    private byte @Nullable [] buffer;

    private int filled;

    private long written;

    /** Where the next cut chunk starts, and its number. */
    private long cutAt;

    private int seq;

    /** When the oldest byte in the buffer was written ({@link System#nanoTime}). */
    private long oldest;

    /** Cut, not yet stored, in order. */
    private final Deque<Chunk> cut = new ArrayDeque<>();

    /** Held while chunks are stored, so that they are stored in order. */
    private final Object storing = new Object();

    ChunkedStream(OutputStore store, String jobId, long fencingToken, Stream stream, int chunkSize, long maxSize,
            boolean deferred) {
        this.store = store;
        this.jobId = jobId;
        this.fencingToken = fencingToken;
        this.stream = stream;
        this.chunkSize = chunkSize;
        this.maxSize = maxSize;
        this.deferred = deferred;
    }

    /** @throws OutputTooLargeException when the stream would pass its size limit (nothing of it is written) */
    void write(byte[] bytes, int offset, int length) throws OutputTooLargeException {
        synchronized (this) {
            if (written + length > maxSize) {
                throw new OutputTooLargeException("The job's " + stream.name().toLowerCase(Locale.ROOT)
                        + " would pass " + maxSize + " bytes (spindle.output.max-size)");
            }
            if (buffer == null) {
                buffer = new byte[chunkSize];
            }
            int at = offset;
            int left = length;
            while (left > 0) {
                if (filled == 0) {
                    oldest = System.nanoTime();
                }
                int n = Math.min(left, chunkSize - filled);
                System.arraycopy(bytes, at, buffer, filled, n);
                filled += n;
                at += n;
                left -= n;
                written += n;
                if (filled == chunkSize) {
                    cutChunk();
                }
            }
        }
        if (!deferred) {
            storeCut();
        }
    }

    synchronized long size() {
        return written;
    }

    /** Stores everything written so far. */
    void flush() {
        synchronized (this) {
            if (filled > 0) {
                cutChunk();
            }
        }
        storeCut();
    }

    /** Stores what was cut, and what is buffered if its oldest byte has waited {@code intervalNanos}. */
    void flushOlderThan(long intervalNanos) {
        synchronized (this) {
            if (filled > 0 && System.nanoTime() - oldest >= intervalNanos) {
                cutChunk();
            }
        }
        storeCut();
    }

    private void cutChunk() {
        byte[] data = Arrays.copyOf(Objects.requireNonNull(buffer), filled);
        cut.addLast(new Chunk(seq++, cutAt, data));
        cutAt += filled;
        filled = 0;
    }

    /** Stores the cut chunks in order; one the store refuses stays first, and the exception goes to the caller. */
    private void storeCut() {
        synchronized (storing) {
            while (true) {
                Chunk next;
                synchronized (this) {
                    next = cut.peekFirst();
                }
                if (next == null) {
                    return;
                }
                store.appendChunk(jobId, fencingToken, stream, next);
                synchronized (this) {
                    cut.removeFirst();
                }
            }
        }
    }
}
