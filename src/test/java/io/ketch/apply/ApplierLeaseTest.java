package io.ketch.apply;

import static io.ketch.apply.ApplierHarness.bs;
import static io.ketch.apply.ApplierHarness.errorOf;
import static io.ketch.apply.ApplierHarness.putOp;
import static io.ketch.apply.ApplierHarness.deleteOp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ketch.errors.EtcdError;
import io.ketch.lease.LeaseBucket;
import io.ketch.lease.Lessor;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrantResponse;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import io.ketch.pb.etcdserver.LeaseRevokeResponse;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.mvcc.Event;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lease grant/revoke through Applier.apply, and keys moving between leases as they are written. */
class ApplierLeaseTest {
    @TempDir
    Path dir;

    final AtomicLong nanos = new AtomicLong();
    Lessor lessor;
    ApplierHarness h;
    /** Every committed revision's events, as a watcher would see them. */
    final List<List<Event>> commits = new ArrayList<>();
    final List<Long> commitRevisions = new ArrayList<>();

    @BeforeEach
    void open() {
        openAt(dir.resolve("db"));
    }

    private void openAt(Path file) {
        lessor = new Lessor(nanos::get, 2, TimeUnit.SECONDS.toNanos(7));
        h = new ApplierHarness(file, lessor);
        lessor.promote(0);
        h.store.setCommitListener((rev, events) -> {
            commitRevisions.add(rev);
            commits.add(events);
        });
    }

    @AfterEach
    void close() {
        h.close();
    }

    private LeaseGrantResponse grant(long id, long ttl) {
        return (LeaseGrantResponse) h.apply(InternalRequest.newBuilder()
                .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl)));
    }

    private LeaseRevokeResponse revoke(long id) {
        return (LeaseRevokeResponse) h.apply(InternalRequest.newBuilder()
                .setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)));
    }

    private void put(String k, long lease) {
        h.put(PutRequest.newBuilder().setKey(bs(k)).setValue(bs("v-" + k)).setLease(lease));
    }

    private List<ByteString> keys(long lease) {
        return lessor.keys(lease);
    }

    @Test
    void grantRecordsTheLeaseWithoutANewRevision() {
        long rev = h.store.currentRevision();
        LeaseGrantResponse r = grant(5, 1);
        assertEquals(5, r.getID());
        assertEquals(2, r.getTTL(), "raised to the minimum TTL");
        assertEquals(rev, r.getHeader().getRevision());
        assertEquals(rev, h.store.currentRevision());
        assertTrue(lessor.exists(5));
        assertEquals(1, h.store.consistentIndex());
        assertEquals(1, LeaseBucket.all(h.backend).size());
        assertEquals(2, LeaseBucket.all(h.backend).get(0).getTTL());
    }

    @Test
    void badGrantsFailWithEtcdsErrorsAndChangeNothing() {
        grant(5, 10);
        assertEquals(EtcdError.LEASE_EXIST, errorOf(() -> grant(5, 20)));
        assertEquals(EtcdError.LEASE_TTL_TOO_LARGE, errorOf(() -> grant(6, Lessor.MAX_LEASE_TTL + 1)));
        assertEquals(EtcdError.LEASE_NOT_FOUND, errorOf(() -> grant(0, 10)));
        assertEquals(4, h.store.consistentIndex(), "failed entries count as applied");
        assertEquals(1, LeaseBucket.all(h.backend).size());
        assertEquals(10, lessor.timeToLive(5, false).grantedTtl());
    }

    @Test
    void aPutWithALeaseAttachesTheKey() {
        grant(5, 10);
        put("a", 5);
        put("b", 5);
        assertEquals(List.of(bs("a"), bs("b")), keys(5));
        assertEquals(5, h.get("a").getLease());
    }

    @Test
    void revokeDeletesEveryAttachedKeyInOneRevision() {
        grant(5, 10);
        put("c", 5);
        put("a", 5);
        put("b", 5);
        put("other", 0);
        long before = h.store.currentRevision();
        commits.clear();
        commitRevisions.clear();
        LeaseRevokeResponse r = revoke(5);
        assertEquals(before + 1, r.getHeader().getRevision());
        assertEquals(before + 1, h.store.currentRevision());
        assertEquals(List.of(before + 1), commitRevisions, "one revision");
        List<Event> events = commits.get(0);
        assertEquals(3, events.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(Event.EventType.DELETE, events.get(i).getType());
            assertEquals(bs(String.valueOf((char) ('a' + i))), events.get(i).getKv().getKey(), "byte order, as etcd");
        }
        assertNull(h.get("a"));
        assertNull(h.get("b"));
        assertNull(h.get("c"));
        assertEquals("v-other", h.get("other").getValue().toStringUtf8());
        assertFalse(lessor.exists(5));
        assertEquals(0, LeaseBucket.all(h.backend).size());
        assertEquals(0, lessor.leaseOf(bs("a")));
    }

    @Test
    void revokingALeaseWithoutKeysMakesNoRevision() {
        grant(5, 10);
        long rev = h.store.currentRevision();
        assertEquals(rev, revoke(5).getHeader().getRevision());
        assertEquals(List.of(), commits);
        assertFalse(lessor.exists(5));
    }

    @Test
    void revokingTwiceFailsWithLeaseNotFoundAndChangesNothing() {
        grant(5, 10);
        put("a", 5);
        revoke(5);
        long rev = h.store.currentRevision();
        long index = h.store.consistentIndex();
        assertEquals(EtcdError.LEASE_NOT_FOUND, errorOf(() -> revoke(5)));
        assertEquals(rev, h.store.currentRevision());
        assertEquals(index + 1, h.store.consistentIndex());
    }

    @Test
    void aRePutWithAnotherLeaseMovesTheKeyAndAPlainPutDetachesIt() {
        grant(5, 10);
        grant(6, 10);
        put("a", 5);
        put("a", 6);
        assertEquals(List.of(), keys(5));
        assertEquals(List.of(bs("a")), keys(6));
        revoke(5);
        assertEquals("v-a", h.get("a").getValue().toStringUtf8(), "the old lease no longer holds it");
        put("a", 0);
        assertEquals(List.of(), keys(6));
        revoke(6);
        assertEquals(0, h.get("a").getLease());
    }

    @Test
    void ignoreLeaseKeepsTheKeyOnItsLease() {
        grant(5, 10);
        put("a", 5);
        h.put(PutRequest.newBuilder().setKey(bs("a")).setValue(bs("new")).setIgnoreLease(true));
        assertEquals(5, h.get("a").getLease());
        assertEquals(List.of(bs("a")), keys(5));
        revoke(5);
        assertNull(h.get("a"));
    }

    @Test
    void deletingAKeyDetachesIt() {
        grant(5, 10);
        put("a", 5);
        put("b", 5);
        h.delete(DeleteRangeRequest.newBuilder().setKey(bs("a")));
        assertEquals(List.of(bs("b")), keys(5));
        long rev = h.store.currentRevision();
        revoke(5);
        assertEquals(rev + 1, h.store.currentRevision());
        assertEquals(1, commits.get(commits.size() - 1).size(), "only b is deleted by the revoke");
    }

    @Test
    void aTxnAttachesAndDetachesInOrderAndAFailedTxnAttachesNothing() {
        grant(5, 10);
        h.txn(TxnRequest.newBuilder()
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("t1")).setLease(5)))
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("t2")).setLease(5)))
                .addSuccess(deleteOp("t2", null)));
        assertEquals(List.of(bs("t1")), keys(5));
        assertEquals(EtcdError.LEASE_NOT_FOUND, errorOf(() -> h.txn(TxnRequest.newBuilder()
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("t3")).setLease(5)))
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("t4")).setLease(99))))));
        assertEquals(List.of(bs("t1")), keys(5));
        assertNull(h.get("t3"));
    }

    @Test
    void aPutWithARevokedLeaseFails() {
        grant(5, 10);
        revoke(5);
        assertEquals(EtcdError.LEASE_NOT_FOUND, errorOf(() -> put("a", 5)));
        assertNull(h.get("a"));
    }

    @Test
    void aCompareOnTheLeaseSeesTheAttachedLease() {
        grant(5, 10);
        put("a", 5);
        assertTrue(h.txn(TxnRequest.newBuilder().addCompare(ApplierHarness.cmp("a", Compare.CompareTarget.LEASE,
                Compare.CompareResult.EQUAL).setLease(5))).getSucceeded());
    }

    @Test
    void leasesAndAttachmentsAreRecoveredFromTheBackend() {
        grant(5, 10);
        grant(6, 30);
        put("a", 5);
        put("b", 6);
        put("c", 6);
        put("c", 5);
        h.delete(DeleteRangeRequest.newBuilder().setKey(bs("b")));
        h.close();

        nanos.addAndGet(TimeUnit.HOURS.toNanos(1));
        openAt(dir.resolve("db"));
        assertTrue(lessor.exists(5));
        assertTrue(lessor.exists(6));
        assertEquals(List.of(bs("a"), bs("c")), keys(5));
        assertEquals(List.of(), keys(6));
        assertEquals(30, lessor.timeToLive(6, false).grantedTtl());
        assertEquals(10, lessor.timeToLive(5, false).remainingSeconds(), "the full TTL again after a restart");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(10));
        assertEquals(List.of(5L), lessor.expired(10));
        revoke(5);
        assertNull(h.get("a"));
        assertNull(h.get("c"));
    }
}
