package io.ketch.bench;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When a run stops issuing requests: after a number of requests, or at a deadline. One budget
 * is shared by all clients of a run, so fast clients take more of it, as in a real workload.
 */
abstract class Budget {
    private final AtomicLong issued = new AtomicLong();

    /** A budget of exactly {@code total} requests. */
    static Budget requests(long total) {
        return new Budget() {
            @Override
            long next() {
                long seq = claim();
                return seq < total ? seq : -1;
            }

            @Override
            long expected() {
                return total;
            }
        };
    }

    /** Requests are issued until {@code duration} after {@link #start}; those in flight then still finish. */
    static Budget forDuration(Duration duration) {
        return new Budget() {
            private volatile long deadline = Long.MAX_VALUE;

            @Override
            void start(long nowNanos) {
                deadline = nowNanos + duration.toNanos();
            }

            @Override
            long next() {
                // Compare by difference: nanoTime may be negative or wrap.
                return System.nanoTime() - deadline < 0 ? claim() : -1;
            }

            @Override
            long expected() {
                return -1;
            }
        };
    }

    /** Called once when the run starts, before any {@link #next}. */
    void start(long nowNanos) {
    }

    /** The sequence number of the next request to issue, or -1 when the run is over. */
    abstract long next();

    /** How many requests the run will issue, or -1 when unknown; sizes the latency logs. */
    abstract long expected();

    protected final long claim() {
        return issued.getAndIncrement();
    }
}
