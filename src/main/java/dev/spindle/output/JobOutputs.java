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
     * stream to {@code out}: of a complete stream, no more than its size when it was opened (what a
     * {@code Content-Length} said). Following, it goes on as the stream grows and on into the job's
     * next attempts (a job not started yet is waited for; an attempt that began and ended between
     * two looks at the job is not seen), until the job has ended or {@code spindle.output.max-follow}
     * has passed.
     */
    public void copy(Opened opened, long from, long to, boolean follow, OutputStream out) throws IOException {
        Job job = opened.job();
        long deadline = System.nanoTime() + properties.maxFollow().toNanos();
        long token = job.fencingToken();
        long end = opened.complete() && !follow ? Math.min(to, opened.size()) : to;
        if (follow && !job.state().isTerminal() && !running(job)) {
            // not started yet: its next attempt is the one followed
            job = awaitAttempt(job, token, deadline);
            if (job == null) {
                return;
            }
            token = job.fencingToken();
        }
        long position = from;
        int seq = store.chunkAt(job.id(), token, opened.stream(), from);
        while (position < end) {
            List<Chunk> chunks = store.chunks(job.id(), token, opened.stream(), seq, PAGE);
            for (Chunk chunk : chunks) {
                seq = chunk.seq() + 1;
                long start = Math.max(position, chunk.offset());
                long stop = Math.min(end, chunk.end());
                if (stop > start) {
                    out.write(chunk.data(), (int) (start - chunk.offset()), (int) (stop - start));
                    position = stop;
                }
            }
            if (chunks.size() == PAGE) {
                continue;
            }
            if (!follow) {
                return;
            }
            out.flush();
            Job now = jobs.find(job.id()).orElse(null);
            if (now != null && now.fencingToken() == token && running(now)) {
                // the attempt goes on: wait for more
                if (System.nanoTime() >= deadline) {
                    return;
                }
                pause();
                continue;
            }
            // the attempt has ended, and its stream was stored whole before its outcome: what is
            // left of it, then the next attempt's, if the job goes on
            List<Chunk> rest;
            do {
                rest = store.chunks(job.id(), token, opened.stream(), seq, PAGE);
                for (Chunk chunk : rest) {
                    out.write(chunk.data());
                    seq = chunk.seq() + 1;
                }
            }
            while (rest.size() == PAGE);
            if (now == null) {
                return;
            }
            // a later attempt (running, or ended already): its stream next; else the job's end, or its next attempt
            Job next = now.fencingToken() != token ? now : now.state().isTerminal() ? null : awaitAttempt(now, token, deadline);
            if (next == null) {
                return;
            }
            job = next;
            token = next.fencingToken();
            seq = 0;
            position = 0;
        }
    }

    /**
     * The job once an attempt after the claim {@code token} has begun (it may have ended already),
     * or once it has ended; null when it is gone or the follow's time is up.
     */
    private @org.jspecify.annotations.Nullable Job awaitAttempt(Job job, long token, long deadline) {
        Job now = job;
        while (now != null && !now.state().isTerminal() && now.fencingToken() == token) {
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
