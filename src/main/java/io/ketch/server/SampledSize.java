package io.ketch.server;

import java.util.function.LongSupplier;

/**
 * A size read at most once per interval (the quota asks for the backend file's size on every
 * write, twice: before proposing and when applying). etcd's own figure is likewise only
 * refreshed when its backend commits, so a reading a millisecond old changes nothing.
 * Thread-safe: a race only means one extra reading.
 */
final class SampledSize implements LongSupplier {
    private final LongSupplier source;
    private final long intervalNanos;
    private volatile long value;
    private volatile long readAt;
    private volatile boolean read;

    SampledSize(LongSupplier source, long intervalNanos) {
        this.source = source;
        this.intervalNanos = intervalNanos;
    }

    @Override
    public long getAsLong() {
        long now = System.nanoTime();
        if (!read || now - readAt >= intervalNanos) {
            value = source.getAsLong();
            readAt = now;
            read = true;
        }
        return value;
    }
}
