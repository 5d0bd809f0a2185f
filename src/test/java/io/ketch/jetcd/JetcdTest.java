package io.ketch.jetcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ketch through jetcd, the way a Java application talks to etcd: KV and Watch. */
@QuarkusTest
class JetcdTest extends JetcdClientFixture {
    private KV kv;
    private Watch watch;

    JetcdTest() {
        super("/jetcd/");
    }

    @BeforeEach
    void clients() {
        kv = client.getKVClient();
        watch = client.getWatchClient();
    }

    private static String str(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    @Test
    void putGetPrefixDeleteAndTxn() throws Exception {
        PutResponse p1 = get(kv.put(k("a"), v("1")));
        get(kv.put(k("b"), v("2")));
        PutResponse p3 = get(kv.put(k("a"), v("3"), PutOption.builder().withPrevKV().build()));
        assertTrue(p3.hasPrevKv());
        assertEquals("1", str(p3.getPrevKv().getValue()));

        GetResponse one = get(kv.get(k("a")));
        assertEquals(1, one.getKvs().size());
        KeyValue a = one.getKvs().get(0);
        assertEquals("3", str(a.getValue()));
        assertEquals(2, a.getVersion());
        assertEquals(p1.getHeader().getRevision(), a.getCreateRevision());

        GetResponse all = get(kv.get(k(""), GetOption.builder().isPrefix(true).build()));
        assertEquals(List.of("a", "b"), all.getKvs().stream().map(x -> str(x.getKey()).substring(prefix.length())).toList());
        GetResponse old = get(kv.get(k("a"), GetOption.builder().withRevision(p1.getHeader().getRevision()).build()));
        assertEquals("1", str(old.getKvs().get(0).getValue()));

        TxnResponse t = get(kv.txn().If(new Cmp(k("a"), Cmp.Op.EQUAL, CmpTarget.value(v("3"))))
                .Then(Op.put(k("c"), v("from-then"), PutOption.DEFAULT))
                .Else(Op.put(k("c"), v("from-else"), PutOption.DEFAULT))
                .commit());
        assertTrue(t.isSucceeded());
        assertEquals("from-then", str(get(kv.get(k("c"))).getKvs().get(0).getValue()));

        assertEquals(3, get(kv.delete(k(""), DeleteOption.builder().isPrefix(true).build())).getDeleted());
        assertEquals(0, get(kv.get(k(""), GetOption.builder().isPrefix(true).build())).getCount());
    }

    @Test
    void watchAPrefixFromARevisionWithPrevKvThenLiveEvents() throws Exception {
        long r1 = get(kv.put(k("w/x"), v("1"))).getHeader().getRevision();
        get(kv.put(k("w/x"), v("2")));
        get(kv.delete(k("w/x")));
        LinkedBlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        try (Watch.Watcher w = watch.watch(k("w/"), WatchOption.builder().isPrefix(true).withPrevKV(true)
                .withRevision(r1).build(), Watch.listener(r -> events.addAll(r.getEvents()), errors::add))) {
            WatchEvent e1 = events.poll(20, TimeUnit.SECONDS);
            WatchEvent e2 = events.poll(20, TimeUnit.SECONDS);
            WatchEvent e3 = events.poll(20, TimeUnit.SECONDS);
            long live = get(kv.put(k("w/y"), v("9"))).getHeader().getRevision();
            get(kv.put(k("other"), v("not watched")));
            WatchEvent e4 = events.poll(20, TimeUnit.SECONDS);

            assertEquals(WatchEvent.EventType.PUT, e1.getEventType());
            assertEquals(r1, e1.getKeyValue().getModRevision());
            assertEquals(WatchEvent.EventType.PUT, e2.getEventType());
            assertEquals("1", str(e2.getPrevKV().getValue()));
            assertEquals(WatchEvent.EventType.DELETE, e3.getEventType());
            assertEquals("2", str(e3.getPrevKV().getValue()));
            assertEquals(prefix + "w/y", str(e4.getKeyValue().getKey()));
            assertEquals(live, e4.getKeyValue().getModRevision());
            assertNull(events.poll(200, TimeUnit.MILLISECONDS));
            assertTrue(errors.isEmpty(), () -> "errors: " + errors);
        }
    }

    @Test
    void severalWatchersOnOneClientEachSeeTheirKeys() throws Exception {
        LinkedBlockingQueue<String> a = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String> b = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<WatchResponse> created = new LinkedBlockingQueue<>();
        WatchOption notify = WatchOption.builder().withCreateNotify(true).build();
        try (Watch.Watcher wa = watch.watch(k("a"), notify, r -> {
                if (r.isCreatedNotify()) {
                    created.add(r);
                }
                r.getEvents().forEach(e -> a.add(str(e.getKeyValue().getValue())));
            });
             Watch.Watcher wb = watch.watch(k("b"), WatchOption.builder().withCreateNotify(true).withNoPut(true).build(),
                     r -> {
                         if (r.isCreatedNotify()) {
                             created.add(r);
                         }
                         r.getEvents().forEach(e -> b.add(e.getEventType().name()));
                     })) {
            assertTrue(created.poll(20, TimeUnit.SECONDS).isCreatedNotify());
            assertTrue(created.poll(20, TimeUnit.SECONDS).isCreatedNotify());
            get(kv.put(k("a"), v("1")));
            get(kv.put(k("b"), v("1")));
            get(kv.delete(k("b")));
            get(kv.put(k("a"), v("2")));
            assertEquals("1", a.poll(20, TimeUnit.SECONDS));
            assertEquals("2", a.poll(20, TimeUnit.SECONDS));
            assertEquals("DELETE", b.poll(20, TimeUnit.SECONDS));
            assertNull(b.poll(200, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void aWatchFromACompactedRevisionFailsWithCompactedException() throws Exception {
        long r1 = get(kv.put(k("c"), v("1"))).getHeader().getRevision();
        long r2 = get(kv.put(k("c"), v("2"))).getHeader().getRevision();
        get(kv.compact(r2));
        LinkedBlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        try (Watch.Watcher w = watch.watch(k("c"), WatchOption.builder().withRevision(r1).build(),
                Watch.listener(r -> { }, errors::add))) {
            Throwable t = errors.poll(20, TimeUnit.SECONDS);
            assertInstanceOf(CompactedException.class, t, () -> "got " + t);
            assertTrue(((CompactedException) t).getCompactedRevision() >= r2);
        }
        // reads below the compacted revision fail with etcd's error, as jetcd reports it
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> get(kv.get(k("c"), GetOption.builder().withRevision(r1).build())));
        assertTrue(e.getCause().getMessage().contains("required revision has been compacted"), e.getCause().toString());
    }

    @Test
    void aProgressRequestReachesTheWatcherWithTheCurrentRevision() throws Exception {
        LinkedBlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
        try (Watch.Watcher w = watch.watch(k("p"), WatchOption.builder().withCreateNotify(true).build(),
                responses::add)) {
            assertTrue(responses.poll(20, TimeUnit.SECONDS).isCreatedNotify());
            long rev = get(kv.put(k("elsewhere"), v("1"))).getHeader().getRevision();
            watch.requestProgress();
            WatchResponse p = responses.poll(20, TimeUnit.SECONDS);
            assertTrue(p.isProgressNotify(), () -> "got " + p);
            assertTrue(p.getHeader().getRevision() >= rev);
            assertFalse(p.getEvents().iterator().hasNext());
        }
    }
}
