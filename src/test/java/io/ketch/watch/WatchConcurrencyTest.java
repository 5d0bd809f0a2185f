package io.ketch.watch;

import static io.ketch.watch.WatchHarness.bs;
import static io.ketch.watch.WatchHarness.show;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.WatchCreateRequest;
import io.ketch.pb.etcdserver.WatchRequest;
import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.pb.mvcc.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real threads: a writer committing as fast as it can, watchers created meanwhile at
 * past, current and future revisions, on streams whose transport keeps stalling (so watchers
 * overflow and are caught up from memory and from the backend). Every watcher must end with
 * exactly the history of its keys from its start revision, in order.
 */
class WatchConcurrencyTest {
    @TempDir
    Path dir;

    /** A transport that stalls now and then and becomes writable again a moment later. */
    static final class StallingSink implements io.ketch.watch.ResponseSink {
        final RecordingSink inner = new RecordingSink();
        final ScheduledExecutorService transport;
        final Random rnd;
        volatile WatchStream stream;
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean stalled;

        StallingSink(ScheduledExecutorService transport, long seed) {
            this.transport = transport;
            this.rnd = new Random(seed);
        }

        @Override
        public boolean isReady() {
            if (stalled) {
                return false;
            }
            if (calls.incrementAndGet() % 97 == 0) {
                stalled = true;
                transport.schedule(() -> {
                    stalled = false;
                    stream.onReady();
                }, 1 + rnd.nextInt(3), TimeUnit.MILLISECONDS);
                return false;
            }
            return true;
        }

        @Override
        public void send(WatchResponse r) {
            inner.send(r);
        }
    }

    /** Polls a condition until it holds or the deadline passes (the assertion after it tells). */
    private static void await(java.util.function.BooleanSupplier condition, long deadline) {
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    /** Compares two event lists, reporting the first difference rather than thousands of events. */
    private static void assertSameHistory(List<String> expected, List<String> got, Watch w) {
        int n = Math.min(expected.size(), got.size());
        for (int i = 0; i < n; i++) {
            if (!expected.get(i).equals(got.get(i))) {
                throw new AssertionError("watch " + w.id + " from " + w.startRev + " on " + w.key + ": event " + i
                        + " expected " + expected.get(i) + " but got " + got.get(i));
            }
        }
        assertEquals(expected.size(), got.size(), "events of watch " + w.id + " from " + w.startRev + " on " + w.key);
    }

    record Watch(StallingSink sink, long id, String key, String end, long startRev) {}

    @Test
    void everyWatcherGetsItsHistoryExactlyOnceInOrderWhileWritesGoOn() throws Exception {
        Backend backend = Backend.open(dir.resolve("db"));
        MvccStore mvcc = MvccStore.open(backend);
        WatchableStore store = WatchableStore.start(mvcc,
                WatchConfig.defaults().withBuffers(8, 4096, 50, 64, 1 << 20), WatchHarness::header);
        ScheduledExecutorService transport = Executors.newSingleThreadScheduledExecutor();
        List<ExecutorService> loops = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            loops.add(Executors.newSingleThreadExecutor());
        }
        int writes = 3000;
        Thread writer = new Thread(() -> {
            Random rnd = new Random(1);
            for (int i = 0; i < writes; i++) {
                MvccStore.WriteTxn t = mvcc.beginWrite(i + 1, 1);
                String k = "k/" + rnd.nextInt(40);
                if (rnd.nextInt(10) == 0) {
                    t.deleteRange(WatchHarness.b(k), null, false);
                } else {
                    t.put(WatchHarness.b(k), WatchHarness.b("v" + i), 0);
                    if (rnd.nextInt(8) == 0) {
                        t.put(WatchHarness.b("k/x" + i), WatchHarness.b("w"), 0); // two events in a revision
                    }
                }
                t.end();
            }
        });
        List<Watch> watches = new ArrayList<>();
        try {
            writer.start();
            Random rnd = new Random(2);
            for (int s = 0; s < 6; s++) {
                StallingSink sink = new StallingSink(transport, s);
                WatchStream stream = store.openStream(sink, loops.get(s % loops.size()));
                sink.stream = stream;
                for (int i = 0; i < 5; i++) {
                    long cur = mvcc.currentRevision();
                    long start = switch (rnd.nextInt(4)) {
                        case 0 -> 0;
                        case 1 -> 1 + rnd.nextInt((int) cur);
                        case 2 -> Math.max(1, cur - rnd.nextInt(20));
                        default -> cur + rnd.nextInt(50);
                    };
                    String key = rnd.nextBoolean() ? "k/" : "k/" + rnd.nextInt(40);
                    String end = key.equals("k/") ? "k0" : null;
                    WatchCreateRequest.Builder c = WatchCreateRequest.newBuilder().setKey(bs(key)).setStartRevision(start)
                            .setWatchId(i + 1);
                    if (end != null) {
                        c.setRangeEnd(bs(end));
                    }
                    // requests arrive on the stream's loop, as from gRPC
                    loops.get(s % loops.size()).execute(() -> stream.handle(WatchRequest.newBuilder().setCreateRequest(c)
                            .build()));
                    watches.add(new Watch(sink, i + 1, key, end, start));
                }
            }
            writer.join();
            long last = mvcc.currentRevision();
            List<Event> history = new ArrayList<>();
            mvcc.forEachEvent(1, last, history::add);

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (Watch w : watches) {
                KeyRange range = w.end == null ? KeyRange.single(bs(w.key)) : new KeyRange(bs(w.key), bs(w.end));
                long from = w.startRev;
                if (from == 0) {
                    await(() -> !w.sink.inner.matching(r -> r.getWatchId() == w.id && r.getCreated()).isEmpty(), deadline);
                    WatchResponse created = w.sink.inner.matching(r -> r.getWatchId() == w.id && r.getCreated()).get(0);
                    from = created.getHeader().getRevision() + 1;
                }
                long f = from;
                List<String> expected = show(history.stream()
                        .filter(e -> e.getKv().getModRevision() >= f && range.contains(e.getKv().getKey())).toList());
                await(() -> w.sink.inner.eventCount(w.id) >= expected.size(), deadline);
                assertSameHistory(expected, show(w.sink.inner.eventsOf(w.id)), w);
            }
            await(() -> store.slowWatcherCount() == 0, deadline);
            assertEquals(0, store.slowWatcherCount());
            assertEquals(30, watches.size());
        } finally {
            store.close();
            transport.shutdownNow();
            loops.forEach(ExecutorService::shutdownNow);
            backend.close();
        }
    }
}
