package io.ketch.lease;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when told to. */
final class FakeClock implements LongSupplier {
    private long nanos;

    FakeClock(long start) {
        this.nanos = start;
    }

    @Override
    public long getAsLong() {
        return nanos;
    }

    void advance(long amount, TimeUnit unit) {
        nanos += unit.toNanos(amount);
    }

    void advanceMillis(long ms) {
        advance(ms, TimeUnit.MILLISECONDS);
    }

    void advanceSeconds(long s) {
        advance(s, TimeUnit.SECONDS);
    }
}
