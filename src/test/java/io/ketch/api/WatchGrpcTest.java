package io.ketch.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.KVGrpc;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.WatchCancelRequest;
import io.ketch.pb.etcdserver.WatchCreateRequest;
import io.ketch.pb.etcdserver.WatchGrpc;
import io.ketch.pb.etcdserver.WatchProgressRequest;
import io.ketch.pb.etcdserver.WatchRequest;
import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.pb.mvcc.Event;
import io.ketch.server.KetchServer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Watch service through the generated gRPC stubs: etcd's stream protocol on the wire. */
@QuarkusTest
class WatchGrpcTest extends GrpcClientFixture {
    @Inject
    KetchServer server;

    private KVGrpc.KVBlockingStub kv;
    private final List<Stream> streams = new ArrayList<>();

    WatchGrpcTest() {
        super("/w/");
    }

    @Override
    protected NettyChannelBuilder configure(NettyChannelBuilder builder) {
        return builder.maxInboundMessageSize(64 << 20);
    }

    @BeforeEach
    void stubs() {
        kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Runs before the fixture shuts the channel down. */
    @AfterEach
    void closeStreams() {
        streams.forEach(s -> s.requests.onCompleted());
    }

    /** One watch stream: requests out, responses into a queue. */
    final class Stream {
        final LinkedBlockingQueue<Object> in = new LinkedBlockingQueue<>();
        final StreamObserver<WatchRequest> requests;

        Stream() {
            requests = WatchGrpc.newStub(channel).watch(new StreamObserver<>() {
                @Override
                public void onNext(WatchResponse r) {
                    in.add(r);
                }

                @Override
                public void onError(Throwable t) {
                    in.add(t);
                }

                @Override
                public void onCompleted() {
                    in.add("completed");
                }
            });
            streams.add(this);
        }

        void create(WatchCreateRequest.Builder c) {
            requests.onNext(WatchRequest.newBuilder().setCreateRequest(c).build());
        }

        WatchResponse next() throws InterruptedException {
            Object o = in.poll(10, TimeUnit.SECONDS);
            if (o instanceof WatchResponse r) {
                return r;
            }
            throw new AssertionError("expected a watch response, got " + o);
        }

        /** Asserts nothing arrives until a progress request's answer, which follows everything queued before it. */
        void assertNothingMoreBeforeProgress() throws InterruptedException {
            requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance())
                    .build());
            WatchResponse r = next();
            assertEquals(-1, r.getWatchId(), "unexpected " + r);
            assertEquals(0, r.getEventsCount());
        }
    }

    private long put(String key, String value) {
        return kv.put(PutRequest.newBuilder().setKey(k(key)).setValue(ByteString.copyFromUtf8(value)).build())
                .getHeader().getRevision();
    }

    private static List<String> show(List<Event> events, String prefix) {
        return events.stream().map(e -> e.getType() + " " + e.getKv().getKey().toStringUtf8().substring(prefix.length())
                + "@" + e.getKv().getModRevision() + (e.hasPrevKv() ? " prev=" + e.getPrevKv().getValue().toStringUtf8() : ""))
                .toList();
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        assertTrue(condition.getAsBoolean(), "condition not met within 30 s");
    }

    @Test
    void createdThenEventsWithFullHeadersThenCancel() throws Exception {
        Stream s = new Stream();
        s.create(WatchCreateRequest.newBuilder().setKey(k("a")).setWatchId(7));
        WatchResponse created = s.next();
        assertTrue(created.getCreated());
        assertEquals(7, created.getWatchId());
        assertEquals(0xcdf818194e3a8c32L, created.getHeader().getClusterId());
        assertEquals(0x8e9e05c52164694dL, created.getHeader().getMemberId());
        long rev = put("a", "1");
        WatchResponse ev = s.next();
        assertEquals(7, ev.getWatchId());
        assertEquals(rev, ev.getHeader().getRevision());
        assertEquals(List.of("PUT a@" + rev), show(ev.getEventsList(), prefix));
        s.requests.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(7))
                .build());
        WatchResponse canceled = s.next();
        assertTrue(canceled.getCanceled());
        assertEquals(7, canceled.getWatchId());
        put("a", "2");
        s.assertNothingMoreBeforeProgress();
    }

    @Test
    void historyWithPrevKvAndFiltersThenLiveEventsOnAPrefix() throws Exception {
        long r1 = put("p/a", "1");
        put("p/a", "2");
        kv.deleteRange(io.ketch.pb.etcdserver.DeleteRangeRequest.newBuilder().setKey(k("p/a")).build());
        Stream s = new Stream();
        s.create(WatchCreateRequest.newBuilder().setKey(k("p/")).setRangeEnd(k("p0")).setStartRevision(r1)
                .setPrevKv(true));
        s.create(WatchCreateRequest.newBuilder().setKey(k("p/")).setRangeEnd(k("p0")).setStartRevision(r1)
                .addFilters(WatchCreateRequest.FilterType.NOPUT));
        List<Event> all = new ArrayList<>();
        List<Event> deletesOnly = new ArrayList<>();
        long live = -1;
        while (all.size() < 4 || deletesOnly.size() < 1) {
            WatchResponse r = s.next();
            if (r.getWatchId() == 0) {
                all.addAll(r.getEventsList());
            } else {
                deletesOnly.addAll(r.getEventsList());
            }
            if (all.size() == 3 && live < 0) {
                live = put("p/b", "3");
            }
        }
        assertEquals(List.of("PUT p/a@" + r1, "PUT p/a@" + (r1 + 1) + " prev=1", "DELETE p/a@" + (r1 + 2) + " prev=2",
                "PUT p/b@" + live), show(all, prefix));
        assertEquals(List.of("DELETE p/a@" + (r1 + 2)), show(deletesOnly, prefix));
    }

    @Test
    void badCreatesAreAnsweredOnTheStreamWhichStaysUp() throws Exception {
        Stream s = new Stream();
        s.create(WatchCreateRequest.newBuilder().setKey(k("b")).setRangeEnd(k("a")));
        WatchResponse empty = s.next();
        assertTrue(empty.getCreated() && empty.getCanceled());
        assertEquals(-1, empty.getWatchId());
        assertEquals("mvcc: watcher range is empty", empty.getCancelReason());
        s.create(WatchCreateRequest.newBuilder().setKey(k("a")).setWatchId(3));
        assertTrue(s.next().getCreated());
        s.create(WatchCreateRequest.newBuilder().setKey(k("a")).setWatchId(3));
        WatchResponse dup = s.next();
        assertTrue(dup.getCreated() && dup.getCanceled());
        assertEquals("mvcc: duplicate watch ID provided on the WatchStream", dup.getCancelReason());
        s.requests.onNext(WatchRequest.getDefaultInstance()); // ignored
        s.requests.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(99))
                .build()); // unknown: no answer
        long rev = put("a", "x");
        WatchResponse ev = s.next();
        assertEquals(3, ev.getWatchId());
        assertEquals(rev, ev.getEvents(0).getKv().getModRevision());
        assertEquals(1, kv.range(RangeRequest.newBuilder().setKey(k("a")).build()).getCount());
    }

    @Test
    void aCompactedStartRevisionCancelsWithCompactRevision() throws Exception {
        long r1 = put("c", "1");
        long r2 = put("c", "2");
        kv.compact(CompactionRequest.newBuilder().setRevision(r2).build());
        Stream s = new Stream();
        s.create(WatchCreateRequest.newBuilder().setKey(k("c")).setStartRevision(r1));
        assertTrue(s.next().getCreated());
        WatchResponse c = s.next();
        assertTrue(c.getCanceled());
        assertEquals(server.store().compactedRevision(), c.getCompactRevision());
        assertEquals(0, c.getHeader().getRevision());
    }

    @Test
    void aProgressRequestReportsTheCurrentRevision() throws Exception {
        Stream s = new Stream();
        long rev = put("x", "1");
        s.requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance())
                .build());
        WatchResponse p = s.next();
        assertEquals(-1, p.getWatchId());
        assertTrue(p.getHeader().getRevision() >= rev);
    }

    /**
     * A client that stops reading: the server stops sending (transport not ready), the
     * watcher's buffer fills, it leaves the synced group; writes go on; once the client reads
     * again every event arrives once, in order.
     */
    @Test
    void aClientThatStopsReadingDoesNotBlockWritesAndThenGetsEverythingInOrder() throws Exception {
        LinkedBlockingQueue<WatchResponse> got = new LinkedBlockingQueue<>();
        ClientCallStreamObserver<WatchRequest>[] call = new ClientCallStreamObserver[1];
        StreamObserver<WatchRequest> req = WatchGrpc.newStub(channel).watch(
                new ClientResponseObserver<WatchRequest, WatchResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WatchRequest> r) {
                        call[0] = r;
                        r.disableAutoRequestWithInitial(1); // only the "created" response
                    }

                    @Override
                    public void onNext(WatchResponse r) {
                        got.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        req.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(k("s/"))
                .setRangeEnd(k("s0"))).build());
        assertTrue(got.poll(10, TimeUnit.SECONDS).getCreated());
        String value = "v".repeat(64 * 1024);
        int n = 400;
        long first = -1;
        for (int i = 0; i < n; i++) {
            long r = put("s/" + i, value);
            if (first < 0) {
                first = r;
            }
        }
        // nobody read 25 MB of events: the watcher was moved out of the synced group
        await(() -> server.watchable().slowWatcherCount() > 0);
        call[0].request(Integer.MAX_VALUE);
        List<Long> revs = new ArrayList<>();
        while (revs.size() < n) {
            WatchResponse r = got.poll(30, TimeUnit.SECONDS);
            if (r == null) {
                break;
            }
            r.getEventsList().forEach(e -> revs.add(e.getKv().getModRevision()));
        }
        assertEquals(n, revs.size());
        for (int i = 0; i < n; i++) {
            assertEquals(first + i, revs.get(i));
        }
        await(() -> server.watchable().slowWatcherCount() == 0);
        req.onCompleted();
        assertFalse(revs.isEmpty());
    }
}
