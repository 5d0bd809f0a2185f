package io.ketch.bench;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One round of the watch benchmark: the keys it puts, when each put was sent, and what each
 * watcher received. A watcher's events arrive on its stream's callbacks, one at a time, so its
 * bookkeeping (which puts it has seen) needs no lock; only the counters shared by all are atomic.
 */
final class FanoutRound {
    private final int number;
    private final long puts;
    private final String keyPrefix;
    private final AtomicLongArray sentAt;
    private final BitSet[] seen;
    private final long[] counts;
    private final CountDownLatch watchersDone;
    private final Map<Object, LatencyLog> latencyByStream = new IdentityHashMap<>();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong firstSent = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastDelivered = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    FanoutRound(int number, long puts, int watchers, List<?> streams, String base) {
        this.number = number;
        this.puts = puts;
        this.keyPrefix = base + String.format("%03d/", number);
        this.sentAt = new AtomicLongArray(Math.toIntExact(puts));
        this.seen = new BitSet[watchers];
        this.counts = new long[watchers];
        for (int i = 0; i < watchers; i++) {
            seen[i] = new BitSet();
        }
        this.watchersDone = new CountDownLatch(watchers);
        int perStream = (int) Math.min(1 << 22, puts * Math.max(1, watchers / Math.max(1, streams.size())));
        for (Object s : streams) {
            latencyByStream.put(s, new LatencyLog(perStream));
        }
    }

    /** The key of put number seq: the round's prefix and seq in 10 digits. */
    ByteString key(long seq) {
        return ByteString.copyFromUtf8(keyPrefix + String.format("%010d", seq));
    }

    void sent(long seq) {
        long now = System.nanoTime();
        sentAt.set((int) seq, now);
        firstSent.accumulateAndGet(now, Math::min);
    }

    /** An event for watcher w, received at nanos on stream (that stream's callback thread). */
    void delivered(int w, ByteString key, long nanos, Object stream) {
        long seq = parseSeq(key);
        if (seq < 0) {
            error("watcher " + (w + 1) + " got a key of another round: " + key.toStringUtf8());
            return;
        }
        if (seen[w].get((int) seq)) {
            error("watcher " + (w + 1) + " got put " + seq + " twice");
            return;
        }
        seen[w].set((int) seq);
        latencyByStream.get(stream).add(nanos - sentAt.get((int) seq));
        delivered.incrementAndGet();
        lastDelivered.accumulateAndGet(nanos, Math::max);
        if (++counts[w] == puts) {
            watchersDone.countDown();
        }
    }

    /** seq from a key of this round, or -1. */
    private long parseSeq(ByteString key) {
        int n = key.size();
        int p = keyPrefix.length();
        if (n != p + 10) {
            return -1;
        }
        for (int i = 0; i < p; i++) {
            if (key.byteAt(i) != keyPrefix.charAt(i)) {
                return -1;
            }
        }
        long seq = 0;
        for (int i = p; i < n; i++) {
            seq = seq * 10 + (key.byteAt(i) - '0');
        }
        return seq < puts ? seq : -1;
    }

    void error(String message) {
        errors.incrementAndGet();
        firstError.compareAndSet(null, message);
    }

    boolean awaitDeliveries(Duration timeout) throws InterruptedException {
        return watchersDone.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    long deliveredCount() {
        return delivered.get();
    }

    long expected() {
        return puts * seen.length;
    }

    int number() {
        return number;
    }

    /** Call after awaitDeliveries; the latch publishes the watchers' latency logs. */
    WatchBench.Outcome outcome(RoundResult putResult) {
        long[] lat;
        synchronized (latencyByStream) {
            lat = LatencyLog.merge(List.copyOf(latencyByStream.values()));
        }
        long elapsed = Math.max(0, lastDelivered.get() - firstSent.get());
        return new WatchBench.Outcome(delivered.get(), errors.get(), firstError.get(), elapsed, LatencySummary.of(lat),
                putResult);
    }
}
