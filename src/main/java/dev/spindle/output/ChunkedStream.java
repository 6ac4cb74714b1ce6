package dev.spindle.output;

import java.util.Arrays;

import dev.spindle.job.JobOutput.OutputTooLargeException;
import dev.spindle.store.OutputStore;
import dev.spindle.store.OutputStore.Chunk;
import dev.spindle.store.OutputStore.Stream;
import org.jspecify.annotations.Nullable;

/**
 * One stream of one attempt, buffered and stored in chunks: a chunk when the buffer is full, when
 * the flusher finds bytes older than the flush interval, and at the end of the attempt. Memory is
 * one chunk's buffer, allocated on the first write. Writers and the flusher are serialized.
 */
final class ChunkedStream {

    private final OutputStore store;

    private final String jobId;

    private final long fencingToken;

    private final Stream stream;

    private final int chunkSize;

    private final long maxSize;

    private byte @Nullable [] buffer;

    private int filled;

    private long written;

    private long stored;

    private int seq;

    /** When the oldest byte in the buffer was written ({@link System#nanoTime}). */
    private long oldest;

    ChunkedStream(OutputStore store, String jobId, long fencingToken, Stream stream, int chunkSize, long maxSize) {
        this.store = store;
        this.jobId = jobId;
        this.fencingToken = fencingToken;
        this.stream = stream;
        this.chunkSize = chunkSize;
        this.maxSize = maxSize;
    }

    /** @throws OutputTooLargeException when the stream would pass its size limit (nothing of it is written) */
    synchronized void write(byte[] bytes, int offset, int length) throws OutputTooLargeException {
        if (written + length > maxSize) {
            throw new OutputTooLargeException("The job's " + stream.name().toLowerCase(java.util.Locale.ROOT)
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
                storeChunk();
            }
        }
    }

    synchronized long size() {
        return written;
    }

    /** Stores what is buffered. */
    synchronized void flush() {
        if (filled > 0) {
            storeChunk();
        }
    }

    /** Stores what is buffered if its oldest byte has waited {@code intervalNanos}. */
    synchronized void flushOlderThan(long intervalNanos) {
        if (filled > 0 && System.nanoTime() - oldest >= intervalNanos) {
            storeChunk();
        }
    }

    private void storeChunk() {
        byte[] data = Arrays.copyOf(java.util.Objects.requireNonNull(buffer), filled);
        // the buffer is kept until the chunk is stored: a store that fails keeps it for the next try
        store.appendChunk(jobId, fencingToken, stream, new Chunk(seq, stored, data));
        seq++;
        stored += filled;
        filled = 0;
    }
}
