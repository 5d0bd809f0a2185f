package io.ketch.apply;

import static io.ketch.apply.ApplierHarness.bs;
import static io.ketch.apply.ApplierHarness.errorOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.CompactionResponse;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.DeleteRangeResponse;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.PutResponse;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.mvcc.KeyValue;

/** Put, DeleteRange, Compaction and the consistent index through Applier.apply. */
class ApplierWriteTest extends ApplierFixture {

    @Test
    void putAnswersTheNewRevisionAndAdvancesTheConsistentIndex() {
        PutResponse r = h.put("k", "v");
        assertEquals(2, r.getHeader().getRevision());
        assertFalse(r.hasPrevKv());
        assertEquals(1, h.store.consistentIndex());
        assertEquals("v", h.get("k").getValue().toStringUtf8());
    }

    @Test
    void putWithPrevKvReturnsThePreviousKeyValueOnlyIfThereWasOne() {
        PutResponse first = h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("1")).setPrevKv(true));
        assertFalse(first.hasPrevKv());
        PutResponse second = h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("2")).setPrevKv(true));
        assertEquals("1", second.getPrevKv().getValue().toStringUtf8());
        assertEquals(2, second.getPrevKv().getModRevision());
        assertEquals(3, second.getHeader().getRevision());
    }

    @Test
    void putWithAnUnknownLeaseFailsWithLeaseNotFoundAndChangesNothing() {
        h.put("k", "v");
        assertEquals(EtcdError.LEASE_NOT_FOUND,
                errorOf(() -> h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("x")).setLease(7))));
        assertEquals(2, h.store.currentRevision());
        assertEquals("v", h.get("k").getValue().toStringUtf8());
        assertEquals(2, h.store.consistentIndex(), "the failed entry was applied");
    }

    @Test
    void putWithAnExistingLeaseAttachesItToTheKey() {
        h.leases.add(7L);
        h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("x")).setLease(7));
        assertEquals(7, h.get("k").getLease());
        h.put("k", "y");
        assertEquals(0, h.get("k").getLease(), "a plain put drops the lease");
    }

    @Test
    void ignoreValueKeepsTheCurrentValue() {
        h.leases.add(5L);
        h.put("k", "keep");
        PutResponse r = h.put(PutRequest.newBuilder().setKey(bs("k")).setIgnoreValue(true).setLease(5));
        assertEquals(3, r.getHeader().getRevision());
        KeyValue kv = h.get("k");
        assertEquals("keep", kv.getValue().toStringUtf8());
        assertEquals(5, kv.getLease());
        assertEquals(2, kv.getVersion());
    }

    @Test
    void ignoreLeaseKeepsTheCurrentLease() {
        h.leases.add(5L);
        h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("1")).setLease(5));
        h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("2")).setIgnoreLease(true));
        KeyValue kv = h.get("k");
        assertEquals("2", kv.getValue().toStringUtf8());
        assertEquals(5, kv.getLease());
    }

    @Test
    void ignoreValueOrLeaseOnAMissingKeyFailsWithKeyNotFound() {
        assertEquals(EtcdError.KEY_NOT_FOUND,
                errorOf(() -> h.put(PutRequest.newBuilder().setKey(bs("k")).setIgnoreValue(true))));
        assertEquals(EtcdError.KEY_NOT_FOUND,
                errorOf(() -> h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).setIgnoreLease(true))));
        assertEquals(1, h.store.currentRevision());
        assertNull(h.get("k"));
        assertEquals(2, h.store.consistentIndex());
    }

    @Test
    void deleteRangeCountsTheDeletedKeysAndReturnsPrevKvsWhenAsked() {
        h.put("a", "1");
        h.put("b", "2");
        h.put("b2", "3");
        h.put("c", "4");
        DeleteRangeResponse r = (DeleteRangeResponse) h.delete(
                DeleteRangeRequest.newBuilder().setKey(bs("b")).setRangeEnd(bs("c")).setPrevKv(true));
        assertEquals(2, r.getDeleted());
        assertEquals(List.of("b", "b2"), r.getPrevKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList());
        assertEquals("2", r.getPrevKvs(0).getValue().toStringUtf8());
        assertEquals(6, r.getHeader().getRevision());
        DeleteRangeResponse noPrev = (DeleteRangeResponse) h.delete(DeleteRangeRequest.newBuilder().setKey(bs("a")));
        assertEquals(1, noPrev.getDeleted());
        assertEquals(0, noPrev.getPrevKvsCount());
    }

    @Test
    void deletingNothingKeepsTheRevisionAndAnswersTheCurrentOne() {
        h.put("a", "1");
        DeleteRangeResponse r = (DeleteRangeResponse) h.delete(DeleteRangeRequest.newBuilder().setKey(bs("zz")));
        assertEquals(0, r.getDeleted());
        assertEquals(2, r.getHeader().getRevision());
        assertEquals(2, h.store.currentRevision());
        assertEquals(2, h.store.consistentIndex());
    }

    @Test
    void deleteWithTheZeroByteEndDeletesEveryKeyFromTheKeyOn() {
        h.put("a", "1");
        h.put("b", "2");
        h.put("c", "3");
        DeleteRangeResponse r = (DeleteRangeResponse) h.delete(
                DeleteRangeRequest.newBuilder().setKey(bs("b")).setRangeEnd(bs("\0")));
        assertEquals(2, r.getDeleted());
        assertEquals(1, h.range("a", "\0").getCount());
    }

    @Test
    void compactionAnswersTheCurrentRevisionAndFailsOnCompactedOrFutureRevisions() {
        h.put("a", "1");
        h.put("a", "2");
        h.put("a", "3"); // 4
        CompactionResponse r = (CompactionResponse) h.compact(3);
        assertEquals(4, r.getHeader().getRevision());
        assertEquals(3, h.store.compactedRevision());
        assertEquals(4, h.store.consistentIndex());
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.compact(3)));
        assertEquals(5, h.store.consistentIndex(), "a failed compaction is still applied");
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.compact(5)));
        assertEquals(6, h.store.consistentIndex());
    }

    @Test
    void anEmptyRequestOnlyAdvancesTheConsistentIndex() {
        assertNull(h.apply(InternalRequest.newBuilder()));
        assertEquals(1, h.store.consistentIndex());
        assertEquals(1, h.store.currentRevision());
    }

    @Test
    void theConsistentIndexAndTermSurviveACleanRestart() {
        h.put("a", "1");
        h.applier.apply(77, 9, InternalRequest.newBuilder()
                .setPut(PutRequest.newBuilder().setKey(bs("b")).setValue(bs("2"))).build());
        h.close();
        h = new ApplierHarness(dir.resolve("db"));
        assertTrue(h.backend.wasClosedCleanly());
        assertEquals(77, h.store.consistentIndex());
        assertEquals(9, h.store.consistentTerm());
        assertEquals(3, h.store.currentRevision());
    }
}
