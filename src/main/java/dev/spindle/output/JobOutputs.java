package dev.spindle.output;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.spindle.config.OutputProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobHandler;
import dev.spindle.job.JobHandlers;
import dev.spindle.job.JobNotFoundException;
import dev.spindle.job.JobService;
import dev.spindle.job.JobState;
import dev.spindle.store.OutputStore;
import dev.spindle.store.OutputStore.Chunk;
import dev.spindle.store.OutputStore.Stream;

import org.springframework.stereotype.Service;

/**
 * Reads a job's output or log stream for REST and RESP, from the store (any node serves any job's
 * streams): whole, a byte range, or followed as it grows. The stream read is that of the job's
 * latest claim (its fencing token): a retried job's output is its last attempt's.
 */
@Service
public class JobOutputs {

    /** Chunks read per statement. */
    static final int PAGE = 16;

    private final JobService jobs;

    private final JobHandlers handlers;

    private final OutputStore store;

    private final OutputProperties properties;

    JobOutputs(JobService jobs, JobHandlers handlers, OutputStore store, OutputProperties properties) {
        this.jobs = jobs;
        this.handlers = handlers;
        this.store = store;
        this.properties = properties;
    }

    /**
     * A stream as it stands.
     *
     * @param size its bytes so far
     * @param complete whether it will not grow: its attempt has ended (the stream was stored whole before the outcome)
     */
    public record Opened(Job job, Stream stream, long size, boolean complete, String contentType) {
    }

    /** @throws JobNotFoundException when there is no such job */
    public Opened open(String id, Stream stream) {
        Job job = jobs.find(id).orElseThrow(() -> new JobNotFoundException(id));
        long size = store.streamSize(job.id(), job.fencingToken(), stream);
        String type = stream == Stream.LOG ? "text/plain;charset=UTF-8"
                : handlers.find(job.type()).map(JobHandler::outputType).orElse("application/octet-stream");
        return new Opened(job, stream, size, job.state().isTerminal(), type);
    }

    private static boolean running(Job job) {
        return job.state() == JobState.RUNNING;
    }

    /**
     * Copies bytes {@code from} to {@code to} (exclusive; {@code Long.MAX_VALUE}: to the end) of the
     * stream to {@code out}. Following, it goes on as the stream grows, until its attempt has ended
     * (a job not started yet is waited for) or {@code spindle.output.max-follow} has passed.
     */
    public void copy(Opened opened, long from, long to, boolean follow, OutputStream out) throws IOException {
        Job job = opened.job();
        long token = job.fencingToken();
        long deadline = System.nanoTime() + properties.maxFollow().toNanos();
        if (follow && !job.state().isTerminal() && !running(job)) {
            // not started yet: its first (or next) attempt is the one followed
            job = awaitStart(job, deadline);
            if (job == null) {
                return;
            }
            token = job.fencingToken();
        }
        long position = from;
        int seq = store.chunkAt(job.id(), token, opened.stream(), from);
        boolean lastPass = !follow;
        while (position < to) {
            List<Chunk> chunks = store.chunks(job.id(), token, opened.stream(), seq, PAGE);
            for (Chunk chunk : chunks) {
                seq = chunk.seq() + 1;
                long start = Math.max(position, chunk.offset());
                long end = Math.min(to, chunk.end());
                if (end > start) {
                    out.write(chunk.data(), (int) (start - chunk.offset()), (int) (end - start));
                    position = end;
                }
            }
            if (chunks.size() == PAGE) {
                continue;
            }
            if (lastPass) {
                return;
            }
            out.flush();
            Job now = jobs.find(job.id()).orElse(null);
            // the attempt has ended: its stream was stored whole before its outcome; one more read takes the rest
            lastPass = now == null || now.fencingToken() != token || !running(now);
            if (!lastPass) {
                if (System.nanoTime() >= deadline) {
                    return;
                }
                pause();
            }
        }
    }

    private @org.jspecify.annotations.Nullable Job awaitStart(Job job, long deadline) {
        Job now = job;
        while (now != null && !now.state().isTerminal() && !running(now)) {
            if (System.nanoTime() >= deadline) {
                return null;
            }
            pause();
            now = jobs.find(job.id()).orElse(null);
        }
        return now;
    }

    private void pause() {
        try {
            TimeUnit.NANOSECONDS.sleep(properties.pollInterval().toNanos());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while following a job's output", ex);
        }
    }

    /** Up to {@code length} bytes of the stream from {@code offset}, for RESP. */
    public byte[] read(String id, Stream stream, long offset, int length) throws IOException {
        Opened opened = open(id, stream);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(Math.min(length, 1 << 16));
        copy(opened, offset, offset + length, false, bytes);
        return bytes.toByteArray();
    }
}
