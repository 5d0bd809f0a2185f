package io.ketch.lease;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Server-chosen lease IDs, as etcd makes them (idutil.Generator, then the sign bit cleared):
 * the member ID's low 16 bits, then 40 bits of the start time in milliseconds and an 8-bit
 * counter that carries into the time bits. IDs are unique per member across restarts as long
 * as fewer than 256 are made per millisecond on average (etcd's assumption too); a clash with
 * an existing lease is refused by the applier with "lease already exists", never granted twice.
 *
 * <p>The ID is chosen before proposing and carried in the log entry, so every member (and a
 * replay) grants the same one.
 */
public final class LeaseIdGenerator {
    private static final int SUFFIX_BITS = 48;
    private static final int COUNTER_BITS = 8;
    private static final long SUFFIX_MASK = (1L << SUFFIX_BITS) - 1;
    private static final long TIME_MASK = (1L << (SUFFIX_BITS - COUNTER_BITS)) - 1;

    private final long prefix;
    private final AtomicLong suffix;

    public LeaseIdGenerator(long memberId, long unixMillis) {
        this.prefix = (memberId & 0xFFFF) << SUFFIX_BITS;
        this.suffix = new AtomicLong((unixMillis & TIME_MASK) << COUNTER_BITS);
    }

    /** The next ID: positive, never 0. */
    public long next() {
        while (true) {
            long id = (prefix | (suffix.incrementAndGet() & SUFFIX_MASK)) & Long.MAX_VALUE;
            if (id != 0) {
                return id;
            }
        }
    }
}
