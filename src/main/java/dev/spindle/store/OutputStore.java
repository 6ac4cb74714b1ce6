package dev.spindle.store;

import java.util.List;

/**
 * The output and log streams of jobs, in chunks: appended by the node running the attempt, read by
 * any node, deleted with their job.
 */
public interface OutputStore {

    /** Which stream of a job: what its handler writes, or what it logs. */
    enum Stream {
        OUTPUT("output"), LOG("log");

        final String column;

        Stream(String column) {
            this.column = column;
        }
    }

    /** A stored piece of a stream: its bytes start at {@code offset} of the stream. */
    record Chunk(int seq, long offset, byte[] data) {

        public long end() {
            return offset + data.length;
        }
    }

    /** Appends the {@code seq}th chunk of the stream of one claim (its fencing token) of a job. */
    void appendChunk(String jobId, long fencingToken, Stream stream, Chunk chunk);

    /** Up to {@code limit} chunks of the stream, in order, from its {@code fromSeq}th on. */
    List<Chunk> chunks(String jobId, long fencingToken, Stream stream, int fromSeq, int limit);

    /** The number of the chunk that holds byte {@code offset} of the stream (0 when it has none before). */
    int chunkAt(String jobId, long fencingToken, Stream stream, long offset);

    /** The stream's size in bytes so far. */
    long streamSize(String jobId, long fencingToken, Stream stream);
}
