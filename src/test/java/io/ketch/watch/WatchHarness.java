package io.ketch.watch;

import com.google.protobuf.ByteString;
import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.WatchCancelRequest;
import io.ketch.pb.etcdserver.WatchCreateRequest;
import io.ketch.pb.etcdserver.WatchProgressRequest;
import io.ketch.pb.etcdserver.WatchRequest;
import io.ketch.pb.mvcc.Event;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;

/** An MVCC store on a temp backend with a manual watchable store, a fake clock and one-line writes. */
final class WatchHarness implements AutoCloseable {
    static final long CLUSTER = 0xcdf818194e3a8c32L;

    final Backend backend;
    final MvccStore mvcc;
    final ManualTimer timer = new ManualTimer();
    final WatchableStore store;
    private long raftIndex;

    WatchHarness(Path dir, WatchConfig config) {
        backend = Backend.open(dir.resolve("db"));
        mvcc = MvccStore.open(backend);
        store = WatchableStore.manual(mvcc, config, WatchHarness::header, timer);
    }

    static ResponseHeader header(long rev) {
        return ResponseHeader.newBuilder().setClusterId(CLUSTER).setRevision(rev).build();
    }

    static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    long put(String key, String value) {
        MvccStore.WriteTxn t = mvcc.beginWrite(++raftIndex, 1);
        t.put(b(key), b(value), 0);
        return t.end();
    }

    /** Several puts in one revision. */
    long putAll(String... keyValues) {
        MvccStore.WriteTxn t = mvcc.beginWrite(++raftIndex, 1);
        for (int i = 0; i < keyValues.length; i += 2) {
            t.put(b(keyValues[i]), b(keyValues[i + 1]), 0);
        }
        return t.end();
    }

    long delete(String key, String end) {
        MvccStore.WriteTxn t = mvcc.beginWrite(++raftIndex, 1);
        t.deleteRange(b(key), end == null ? null : b(end), false);
        return t.end();
    }

    /** A stream whose drains run at once on the calling thread. */
    Client client() {
        return new Client(store, Runnable::run);
    }

    /** A stream whose drains wait until the test runs them (a busy event loop). */
    Client queuedClient() {
        QueueExecutor q = new QueueExecutor();
        return new Client(store, q);
    }

    @Override
    public void close() {
        store.close();
        backend.close();
    }

    static final class QueueExecutor implements Executor {
        private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            while (true) {
                Runnable r;
                synchronized (this) {
                    r = tasks.poll();
                }
                if (r == null) {
                    return;
                }
                r.run();
            }
        }
    }

    /** One client stream with its sink, and request builders. */
    static final class Client {
        final RecordingSink sink = new RecordingSink();
        final WatchStream stream;
        final Executor executor;

        Client(WatchableStore store, Executor executor) {
            this.executor = executor;
            this.stream = store.openStream(sink, executor);
        }

        void runDrains() {
            if (executor instanceof QueueExecutor q) {
                q.runAll();
            }
        }

        void create(WatchCreateRequest.Builder c) {
            stream.handle(WatchRequest.newBuilder().setCreateRequest(c).build());
        }

        void watch(String key, String end, long startRev) {
            WatchCreateRequest.Builder c = WatchCreateRequest.newBuilder().setKey(bs(key)).setStartRevision(startRev);
            if (end != null) {
                c.setRangeEnd(bs(end));
            }
            create(c);
        }

        void cancel(long id) {
            stream.handle(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id))
                    .build());
        }

        void requestProgress() {
            stream.handle(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance())
                    .build());
        }

        List<Event> events(long id) {
            return sink.eventsOf(id);
        }
    }

    /** "PUT key@mod=value" / "DELETE key@mod", for readable assertions. */
    static String show(Event e) {
        String s = e.getType() + " " + e.getKv().getKey().toStringUtf8() + "@" + e.getKv().getModRevision();
        if (e.getType() == Event.EventType.PUT) {
            s += "=" + e.getKv().getValue().toStringUtf8();
        }
        if (e.hasPrevKv()) {
            s += " prev=" + e.getPrevKv().getValue().toStringUtf8() + "@" + e.getPrevKv().getModRevision();
        }
        return s;
    }

    static List<String> show(List<Event> events) {
        return events.stream().map(WatchHarness::show).toList();
    }
}
