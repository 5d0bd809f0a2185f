package io.ketch.bench;

import java.util.Arrays;
import java.util.List;

/**
 * The latencies (ns) of one client's successful requests, in a preallocated long[] that grows
 * only if the client takes more than its expected share. One client has one request in flight,
 * so its log is written by one thread at a time and needs no locking.
 */
final class LatencyLog {
    private long[] nanos;
    private int size;

    LatencyLog(int capacity) {
        this.nanos = new long[Math.max(capacity, 16)];
    }

    void add(long latencyNanos) {
        if (size == nanos.length) {
            nanos = Arrays.copyOf(nanos, Math.max(16, size + (size >> 1)));
        }
        nanos[size++] = latencyNanos;
    }

    int size() {
        return size;
    }

    /** All latencies of the given logs in one new array, for {@link LatencySummary#of}. */
    static long[] merge(List<LatencyLog> logs) {
        long count = 0;
        for (LatencyLog log : logs) {
            count += log.size;
        }
        long[] all = new long[Math.toIntExact(count)];
        int at = 0;
        for (LatencyLog log : logs) {
            System.arraycopy(log.nanos, 0, all, at, log.size);
            at += log.size;
        }
        return all;
    }
}
