package io.ketch.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.ketch.pb.etcdserver.KVGrpc;
import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrantResponse;
import io.ketch.pb.etcdserver.LeaseGrpc;
import io.ketch.pb.etcdserver.LeaseKeepAliveRequest;
import io.ketch.pb.etcdserver.LeaseKeepAliveResponse;
import io.ketch.pb.etcdserver.LeaseLeasesRequest;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import io.ketch.pb.etcdserver.LeaseRevokeResponse;
import io.ketch.pb.etcdserver.LeaseStatus;
import io.ketch.pb.etcdserver.LeaseTimeToLiveRequest;
import io.ketch.pb.etcdserver.LeaseTimeToLiveResponse;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.testing.Poll;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Lease service through the generated gRPC stubs, on the shared HTTP/gRPC port. */
@QuarkusTest
class LeaseGrpcTest extends GrpcClientFixture {
    private LeaseGrpc.LeaseBlockingStub lease;
    private KVGrpc.KVBlockingStub kv;

    LeaseGrpcTest() {
        super("/lease/");
    }

    @BeforeEach
    void stubs() {
        lease = LeaseGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    /** A client-chosen ID no other test uses. */
    private static long freshId() {
        return ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50);
    }

    private LeaseGrantResponse grant(long id, long ttl) {
        return lease.leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl).build());
    }

    private long put(String key, long leaseId) {
        return kv.put(PutRequest.newBuilder().setKey(k(key)).setValue(ByteString.copyFromUtf8("v")).setLease(leaseId).build())
                .getHeader().getRevision();
    }

    private RangeResponse get(String key) {
        return kv.range(RangeRequest.newBuilder().setKey(k(key)).build());
    }

    private LeaseTimeToLiveResponse ttl(long id, boolean keys) {
        return lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(keys).build());
    }

    @Test
    void grantWithoutAnIdGetsAServerChosenPositiveOne() {
        LeaseGrantResponse a = grant(0, 60);
        LeaseGrantResponse b = grant(0, 60);
        assertTrue(a.getID() > 0);
        assertNotEquals(a.getID(), b.getID());
        assertEquals(60, a.getTTL());
        assertEquals(0x694d, a.getID() >>> 48, "etcd's generator: the member ID's low 16 bits first");
        assertEquals(0xcdf818194e3a8c32L, a.getHeader().getClusterId());
        assertTrue(a.getHeader().getRevision() > 0);
    }

    @Test
    void grantRaisesAShortTtlToTheMinimum() {
        assertEquals(2, grant(0, 1).getTTL());
    }

    @Test
    void grantingAnExistingIdOrATooLargeTtlFailsAndChangesNothing() {
        long id = freshId();
        grant(id, 60);
        assertEtcdError(Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists", () -> grant(id, 30));
        assertEquals(60, ttl(id, false).getGrantedTTL());
        long other = freshId();
        assertEtcdError(Status.Code.OUT_OF_RANGE, "etcdserver: too large lease TTL", () -> grant(other, 9_000_000_001L));
        assertEquals(-1, ttl(other, false).getTTL());
    }

    @Test
    void timeToLiveReportsRemainingGrantedAndKeys() {
        long id = grant(freshId(), 100).getID();
        put("b", id);
        put("a", id);
        LeaseTimeToLiveResponse r = ttl(id, true);
        assertEquals(id, r.getID());
        assertEquals(100, r.getGrantedTTL());
        assertTrue(r.getTTL() >= 98 && r.getTTL() <= 100, "remaining " + r.getTTL());
        assertEquals(List.of(k("a"), k("b")), r.getKeysList());
        assertEquals(0, ttl(id, false).getKeysCount());
        assertEquals(id, get("a").getKvs(0).getLease());
    }

    @Test
    void timeToLiveOfAnUnknownLeaseIsMinusOneNotAnError() {
        long id = freshId();
        LeaseTimeToLiveResponse r = ttl(id, true);
        assertEquals(id, r.getID());
        assertEquals(-1, r.getTTL());
        assertEquals(0, r.getGrantedTTL());
        assertTrue(r.getHeader().getRevision() > 0);
    }

    @Test
    void leasesListsGrantedLeasesOnly() {
        long a = grant(freshId(), 100).getID();
        long b = grant(freshId(), 100).getID();
        lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(b).build());
        List<Long> ids = lease.leaseLeases(LeaseLeasesRequest.getDefaultInstance()).getLeasesList().stream()
                .map(LeaseStatus::getID).toList();
        assertTrue(ids.contains(a));
        assertFalse(ids.contains(b));
    }

    @Test
    void revokeDeletesTheAttachedKeysInOneRevisionAndRevokingTwiceIsNotFound() {
        long id = grant(freshId(), 100).getID();
        put("x", id);
        put("y", id);
        long before = put("z", 0);
        LeaseRevokeResponse r = lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build());
        assertEquals(before + 1, r.getHeader().getRevision());
        assertEquals(0, get("x").getCount());
        assertEquals(0, get("y").getCount());
        assertEquals(1, get("z").getCount());
        assertEquals(-1, ttl(id, false).getTTL());
        long rev = get("z").getHeader().getRevision();
        assertEtcdError(Status.Code.NOT_FOUND, "etcdserver: requested lease not found",
                () -> lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build()));
        assertEquals(rev, get("z").getHeader().getRevision());
        assertEtcdError(Status.Code.NOT_FOUND, "etcdserver: requested lease not found", () -> put("w", id));
    }

    /** A keepalive stream through the async stub. */
    private final class KeepAlive implements StreamObserver<LeaseKeepAliveResponse> {
        final BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
        final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
        final StreamObserver<LeaseKeepAliveRequest> requests = LeaseGrpc.newStub(channel).leaseKeepAlive(this);

        LeaseKeepAliveResponse send(long id) throws InterruptedException {
            requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
            LeaseKeepAliveResponse r = answers.poll(10, TimeUnit.SECONDS);
            assertTrue(r != null, "an answer within 10 s; errors: " + errors);
            return r;
        }

        @Override
        public void onNext(LeaseKeepAliveResponse r) {
            answers.add(r);
        }

        @Override
        public void onError(Throwable t) {
            errors.add(t);
        }

        @Override
        public void onCompleted() {
        }
    }

    @Test
    void keepAliveStreamRenewsAnswersUnknownLeasesWithTtlZeroAndStaysOpen() throws Exception {
        long id = grant(freshId(), 30).getID();
        long unknown = freshId();
        KeepAlive stream = new KeepAlive();
        LeaseKeepAliveResponse first = stream.send(id);
        LeaseKeepAliveResponse second = stream.send(unknown);
        LeaseKeepAliveResponse third = stream.send(id);
        assertEquals(id, first.getID());
        assertEquals(30, first.getTTL());
        assertEquals(unknown, second.getID());
        assertEquals(0, second.getTTL());
        assertEquals(id, third.getID());
        assertEquals(30, third.getTTL());
        assertTrue(first.getHeader().getRevision() > 0);
        assertEquals(0xcdf818194e3a8c32L, first.getHeader().getClusterId());
        assertTrue(stream.errors.isEmpty(), "stream still up: " + stream.errors);
        stream.requests.onCompleted();
    }

    @Test
    void manyRequestsOnOneStreamAreAnsweredInOrder() throws Exception {
        long a = grant(freshId(), 30).getID();
        long b = grant(freshId(), 40).getID();
        KeepAlive stream = new KeepAlive();
        for (int i = 0; i < 200; i++) {
            stream.requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(i % 2 == 0 ? a : b).build());
        }
        for (int i = 0; i < 200; i++) {
            LeaseKeepAliveResponse r = stream.answers.poll(10, TimeUnit.SECONDS);
            assertEquals(i % 2 == 0 ? a : b, r.getID());
            assertEquals(i % 2 == 0 ? 30 : 40, r.getTTL());
        }
        stream.requests.onCompleted();
    }

    @Test
    void anExpiredLeaseIsRevokedThroughTheLogDeletingItsKeysInOneRevision() throws Exception {
        long id = grant(freshId(), 2).getID();
        put("e1", id);
        long before = put("e2", id);
        // the member's expiry loop proposes the revoke: nothing here does
        assertTrue(Poll.until(Duration.ofSeconds(15), () -> get("e1").getCount() == 0), "expired within 15 s");
        assertEquals(0, get("e2").getCount());
        assertEquals(-1, ttl(id, false).getTTL());
        long deletedAt = firstRevisionWithout("e1", before);
        assertEquals(deletedAt, firstRevisionWithout("e2", before), "both deletions in one revision");
        assertEquals(0, new KeepAlive().send(id).getTTL(), "a keepalive after the expiry finds no lease");
    }

    @Test
    void aKeepAliveJustAfterTheDeadlineNeverResurrectsTheLease() throws Exception {
        long id = grant(freshId(), 2).getID();
        put("r", id);
        // the server's deadline is at most 2 s after the grant's answer; the expiry loop runs
        // every 500 ms, so a keepalive sent just after it usually finds the lease expired but
        // not yet revoked: it must then wait for the revoke, never renew
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2050);
        assertTrue(Poll.until(Duration.ofSeconds(5), () -> System.nanoTime() - deadline >= 0));
        LeaseKeepAliveResponse r = new KeepAlive().send(id);
        assertEquals(0, r.getTTL(), "an expired lease is not renewed");
        assertEquals(-1, ttl(id, false).getTTL(), "answered only once the revoke is applied");
        assertEquals(0, get("r").getCount());
    }

    /** The first revision after {@code from} at which the key no longer exists. */
    private long firstRevisionWithout(String key, long from) {
        long current = get(key).getHeader().getRevision();
        for (long rev = from; rev <= current; rev++) {
            if (kv.range(RangeRequest.newBuilder().setKey(k(key)).setRevision(rev).build()).getCount() == 0) {
                return rev;
            }
        }
        throw new AssertionError(key + " still exists at revision " + current);
    }
}
