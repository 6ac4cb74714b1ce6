package dev.spindle.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A bounded ring of heap samples in primitive arrays: recording one allocates nothing, and the
 * oldest is overwritten once the ring is full.
 */
final class MemorySamples {

    private final long[] at;

    private final long[] heapUsed;

    private final long[] heapCommitted;

    /** Bytes allocated by all threads since the JVM started, or -1 when the JVM does not count them. */
    private final long[] allocated;

    private int next;

    private int size;

    MemorySamples(int capacity) {
        at = new long[capacity];
        heapUsed = new long[capacity];
        heapCommitted = new long[capacity];
        allocated = new long[capacity];
    }

    synchronized void record(long epochMillis, long used, long committed, long allocatedBytes) {
        at[next] = epochMillis;
        heapUsed[next] = used;
        heapCommitted[next] = committed;
        allocated[next] = allocatedBytes;
        next = (next + 1) % at.length;
        size = Math.min(size + 1, at.length);
    }

    /** The samples, oldest first, each with the allocation rate since the one before it (-1 for the first). */
    synchronized List<Sample> snapshot() {
        List<Sample> samples = new ArrayList<>(size);
        int first = (next - size + at.length) % at.length;
        for (int n = 0; n < size; n++) {
            int i = (first + n) % at.length;
            long rate = n == 0 ? -1 : rate((i - 1 + at.length) % at.length, i);
            samples.add(new Sample(Instant.ofEpochMilli(at[i]), heapUsed[i], heapCommitted[i], rate));
        }
        return samples;
    }

    /** The allocation rate between the last two samples, in bytes per second; -1 when not known. */
    synchronized long latestRate() {
        if (size < 2) {
            return -1;
        }
        int last = (next - 1 + at.length) % at.length;
        return rate((last - 1 + at.length) % at.length, last);
    }

    private long rate(int before, int after) {
        long millis = at[after] - at[before];
        long bytes = allocated[after] - allocated[before];
        if (allocated[before] < 0 || millis <= 0 || bytes < 0) {
            return -1;
        }
        return bytes * 1000 / millis;
    }

    /**
     * One sample.
     *
     * @param allocationRate bytes allocated per second since the previous sample, -1 when not known
     */
    record Sample(Instant at, long heapUsed, long heapCommitted, long allocationRate) {
    }
}
