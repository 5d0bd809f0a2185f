package io.ketch.apply;

import static io.ketch.apply.ApplierHarness.bs;
import static io.ketch.apply.ApplierHarness.cmp;
import static io.ketch.apply.ApplierHarness.deleteOp;
import static io.ketch.apply.ApplierHarness.errorOf;
import static io.ketch.apply.ApplierHarness.putOp;
import static io.ketch.apply.ApplierHarness.rangeOp;
import static io.ketch.apply.ApplierHarness.txnOp;
import static io.ketch.apply.ApplierHarness.valueIs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.Compare.CompareResult;
import io.ketch.pb.etcdserver.Compare.CompareTarget;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.ResponseOp;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;

/** etcd's Txn through Applier.apply: compares, branches, nested txns, checks, atomicity. */
class ApplierTxnTest extends ApplierFixture {

    private boolean holds(Compare c) {
        TxnResponse r = h.txn(TxnRequest.newBuilder().addCompare(c));
        return r.getSucceeded();
    }

    private static Compare.Builder c(String key, CompareTarget t, CompareResult r) {
        return cmp(key, t, r);
    }

    @Test
    void comparesOnEachTargetWithEachResult() {
        h.leases.add(9L);
        h.put("k", "m"); // 2
        h.put(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("m")).setLease(9)); // 3, version 2
        // VALUE
        assertTrue(holds(c("k", CompareTarget.VALUE, CompareResult.EQUAL).setValue(bs("m")).build()));
        assertFalse(holds(c("k", CompareTarget.VALUE, CompareResult.EQUAL).setValue(bs("n")).build()));
        assertTrue(holds(c("k", CompareTarget.VALUE, CompareResult.NOT_EQUAL).setValue(bs("n")).build()));
        assertTrue(holds(c("k", CompareTarget.VALUE, CompareResult.GREATER).setValue(bs("a")).build()));
        assertTrue(holds(c("k", CompareTarget.VALUE, CompareResult.LESS).setValue(bs("ma")).build()));
        assertFalse(holds(c("k", CompareTarget.VALUE, CompareResult.LESS).setValue(bs("m")).build()));
        // VERSION
        assertTrue(holds(c("k", CompareTarget.VERSION, CompareResult.EQUAL).setVersion(2).build()));
        assertTrue(holds(c("k", CompareTarget.VERSION, CompareResult.GREATER).setVersion(1).build()));
        assertTrue(holds(c("k", CompareTarget.VERSION, CompareResult.LESS).setVersion(3).build()));
        assertFalse(holds(c("k", CompareTarget.VERSION, CompareResult.NOT_EQUAL).setVersion(2).build()));
        // CREATE
        assertTrue(holds(c("k", CompareTarget.CREATE, CompareResult.EQUAL).setCreateRevision(2).build()));
        assertFalse(holds(c("k", CompareTarget.CREATE, CompareResult.GREATER).setCreateRevision(2).build()));
        // MOD
        assertTrue(holds(c("k", CompareTarget.MOD, CompareResult.EQUAL).setModRevision(3).build()));
        assertTrue(holds(c("k", CompareTarget.MOD, CompareResult.GREATER).setModRevision(2).build()));
        assertTrue(holds(c("k", CompareTarget.MOD, CompareResult.LESS).setModRevision(4).build()));
        // LEASE
        assertTrue(holds(c("k", CompareTarget.LEASE, CompareResult.EQUAL).setLease(9).build()));
        assertTrue(holds(c("k", CompareTarget.LEASE, CompareResult.NOT_EQUAL).setLease(0).build()));
        // the target field must match the target: a VERSION compare reading create_revision
        // compares with 0
        assertTrue(holds(c("k", CompareTarget.VERSION, CompareResult.GREATER).setCreateRevision(100).build()));
    }

    @Test
    void aMissingKeyComparesAsZerosButNeverMatchesOnValue() {
        assertTrue(holds(c("nope", CompareTarget.VERSION, CompareResult.EQUAL).setVersion(0).build()));
        assertTrue(holds(c("nope", CompareTarget.CREATE, CompareResult.EQUAL).setCreateRevision(0).build()));
        assertTrue(holds(c("nope", CompareTarget.MOD, CompareResult.LESS).setModRevision(1).build()));
        assertFalse(holds(c("nope", CompareTarget.VALUE, CompareResult.EQUAL).setValue(bs("")).build()));
        assertFalse(holds(c("nope", CompareTarget.VALUE, CompareResult.NOT_EQUAL).setValue(bs("x")).build()));
    }

    @Test
    void aCompareOverARangeHoldsOnlyIfEveryKeySatisfiesIt() {
        h.put("p/a", "1");
        h.put("p/b", "1");
        h.put("q", "2");
        assertTrue(holds(c("p/", CompareTarget.VALUE, CompareResult.EQUAL).setValue(bs("1")).setRangeEnd(bs("p0")).build()));
        assertFalse(holds(c("p/", CompareTarget.VALUE, CompareResult.EQUAL).setValue(bs("1")).setRangeEnd(bs("\0")).build()));
        assertTrue(holds(c("p/", CompareTarget.MOD, CompareResult.LESS).setModRevision(4).setRangeEnd(bs("p0")).build()));
        assertFalse(holds(c("p/", CompareTarget.MOD, CompareResult.LESS).setModRevision(3).setRangeEnd(bs("p0")).build()));
        // an empty range is a missing key
        assertTrue(holds(c("x", CompareTarget.VERSION, CompareResult.EQUAL).setVersion(0).setRangeEnd(bs("y")).build()));
    }

    @Test
    void allComparesMustHoldForTheSuccessBranch() {
        h.put("a", "1");
        TxnRequest.Builder t = TxnRequest.newBuilder()
                .addCompare(valueIs("a", "1"))
                .addCompare(valueIs("a", "2"))
                .addSuccess(putOp("s", "x"))
                .addFailure(putOp("f", "x"));
        TxnResponse r = h.txn(t);
        assertFalse(r.getSucceeded());
        assertNull(h.get("s"));
        assertEquals("x", h.get("f").getValue().toStringUtf8());
        assertEquals(3, r.getHeader().getRevision());
    }

    @Test
    void everyOpTypeAnswersInOrderAndTheWholeTxnIsOneRevision() {
        h.put("a", "1");
        h.put("b", "2"); // 3
        TxnResponse r = h.txn(TxnRequest.newBuilder()
                .addSuccess(rangeOp("a"))
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("a")).setValue(bs("9")).setPrevKv(true)))
                .addSuccess(rangeOp("a"))
                .addSuccess(deleteOp("b", null))
                .addSuccess(putOp("c", "3"))
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(rangeOp("c")))));
        assertTrue(r.getSucceeded());
        assertEquals(4, r.getHeader().getRevision());
        assertEquals(4, h.store.currentRevision());
        List<ResponseOp> ops = r.getResponsesList();
        assertEquals(6, ops.size());
        assertEquals("1", ops.get(0).getResponseRange().getKvs(0).getValue().toStringUtf8());
        assertEquals(3, ops.get(0).getResponseRange().getHeader().getRevision(), "before any write: old revision");
        assertEquals(4, ops.get(1).getResponsePut().getHeader().getRevision());
        assertEquals("1", ops.get(1).getResponsePut().getPrevKv().getValue().toStringUtf8());
        assertEquals("9", ops.get(2).getResponseRange().getKvs(0).getValue().toStringUtf8(), "reads see the txn's writes");
        assertEquals(4, ops.get(2).getResponseRange().getHeader().getRevision());
        assertEquals(1, ops.get(3).getResponseDeleteRange().getDeleted());
        assertEquals(4, ops.get(3).getResponseDeleteRange().getHeader().getRevision());
        assertEquals(4, ops.get(4).getResponsePut().getHeader().getRevision());
        TxnResponse nested = ops.get(5).getResponseTxn();
        assertTrue(nested.getSucceeded());
        assertTrue(nested.hasHeader());
        assertEquals(0, nested.getHeader().getRevision(), "a nested txn's header has no revision (etcd)");
        assertEquals("3", nested.getResponses(0).getResponseRange().getKvs(0).getValue().toStringUtf8());
        // every change of the txn has mod_revision 4 with sub-revisions in op order
        assertEquals(4, h.get("a").getModRevision());
        assertEquals(4, h.get("c").getModRevision());
    }

    @Test
    void aTxnThatOnlyReadsOrChangesNothingKeepsTheRevision() {
        h.put("a", "1");
        TxnResponse r = h.txn(TxnRequest.newBuilder().addSuccess(rangeOp("a")).addSuccess(deleteOp("zz", null)));
        assertEquals(2, r.getHeader().getRevision());
        assertEquals(2, h.store.currentRevision());
        assertEquals(2, h.store.consistentIndex());
        TxnResponse empty = h.txn(TxnRequest.newBuilder());
        assertTrue(empty.getSucceeded());
        assertEquals(2, empty.getHeader().getRevision());
    }

    @Test
    void nestedComparesAreEvaluatedOnTheStateBeforeTheTxn() {
        h.put("a", "old");
        TxnResponse r = h.txn(TxnRequest.newBuilder()
                .addSuccess(putOp("a", "new"))
                .addSuccess(txnOp(TxnRequest.newBuilder()
                        .addCompare(valueIs("a", "old"))
                        .addSuccess(putOp("saw", "old"))
                        .addFailure(putOp("saw", "new")))));
        assertTrue(r.getResponses(1).getResponseTxn().getSucceeded());
        assertEquals("old", h.get("saw").getValue().toStringUtf8());
        assertEquals("new", h.get("a").getValue().toStringUtf8());
    }

    @Test
    void nestedTxnsFollowTheirOwnBranchesAtAnyDepth() {
        h.put("x", "1");
        TxnRequest.Builder inner = TxnRequest.newBuilder()
                .addCompare(valueIs("x", "2"))
                .addSuccess(putOp("inner", "then"))
                .addFailure(putOp("inner", "else"));
        TxnRequest.Builder middle = TxnRequest.newBuilder()
                .addCompare(valueIs("x", "1"))
                .addSuccess(txnOp(inner))
                .addSuccess(putOp("middle", "then"))
                .addFailure(putOp("middle", "else"));
        TxnResponse r = h.txn(TxnRequest.newBuilder()
                .addSuccess(txnOp(middle))
                .addSuccess(txnOp(TxnRequest.newBuilder().addCompare(valueIs("x", "nope")).addFailure(putOp("second", "else")))));
        assertEquals("else", h.get("inner").getValue().toStringUtf8());
        assertEquals("then", h.get("middle").getValue().toStringUtf8());
        assertEquals("else", h.get("second").getValue().toStringUtf8());
        TxnResponse m = r.getResponses(0).getResponseTxn();
        assertTrue(m.getSucceeded());
        assertFalse(m.getResponses(0).getResponseTxn().getSucceeded());
        assertFalse(r.getResponses(1).getResponseTxn().getSucceeded());
        assertEquals(3, r.getHeader().getRevision(), "one revision for all nested writes");
    }

    @Test
    void aTxnWithAnUnknownLeaseFailsAndChangesNothing() {
        h.put("a", "1");
        TxnRequest.Builder t = TxnRequest.newBuilder()
                .addSuccess(putOp("a", "2"))
                .addSuccess(txnOp(TxnRequest.newBuilder()
                        .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("b")).setValue(bs("x")).setLease(5)))));
        assertEquals(EtcdError.LEASE_NOT_FOUND, errorOf(() -> h.txn(t)));
        assertEquals("1", h.get("a").getValue().toStringUtf8());
        assertEquals(2, h.store.currentRevision());
        assertEquals(2, h.store.consistentIndex(), "the failed entry counts as applied");
        h.leases.add(5L);
        h.txn(t);
        assertEquals(5, h.get("b").getLease());
    }

    @Test
    void checksOnlyConcernTheBranchThatRuns() {
        TxnResponse r = h.txn(TxnRequest.newBuilder()
                .addSuccess(putOp("ok", "1"))
                .addFailure(putOp(PutRequest.newBuilder().setKey(bs("bad")).setValue(bs("x")).setLease(5)))
                .addFailure(rangeOp(RangeRequest.newBuilder().setKey(bs("a")).setRevision(100))));
        assertTrue(r.getSucceeded());
        assertEquals("1", h.get("ok").getValue().toStringUtf8());
    }

    @Test
    void ignoreValueOnAKeyMissingBeforeTheTxnFailsItWithKeyNotFound() {
        TxnRequest.Builder t = TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1"))
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("k")).setIgnoreValue(true)));
        assertEquals(EtcdError.KEY_NOT_FOUND, errorOf(() -> h.txn(t)));
        assertNull(h.get("a"));
        assertEquals(1, h.store.currentRevision());
    }

    @Test
    void aRangeAtAFutureOrCompactedRevisionFailsTheWholeTxn() {
        h.put("a", "1");
        h.put("a", "2");
        h.put("a", "3"); // 4
        TxnRequest.Builder future = TxnRequest.newBuilder()
                .addSuccess(putOp("w", "1"))
                .addSuccess(rangeOp(RangeRequest.newBuilder().setKey(bs("a")).setRevision(5)));
        assertEquals(EtcdError.FUTURE_REV, errorOf(() -> h.txn(future)),
                "the txn's own new revision is still the future for its checks");
        h.compact(3);
        TxnRequest.Builder compacted = TxnRequest.newBuilder()
                .addSuccess(putOp("w", "1"))
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(rangeOp(RangeRequest.newBuilder().setKey(bs("a")).setRevision(2)))));
        assertEquals(EtcdError.COMPACTED, errorOf(() -> h.txn(compacted)));
        assertNull(h.get("w"));
        assertEquals(4, h.store.currentRevision());
        TxnResponse atCompacted = h.txn(TxnRequest.newBuilder()
                .addSuccess(rangeOp(RangeRequest.newBuilder().setKey(bs("a")).setRevision(3))));
        assertEquals("2", atCompacted.getResponses(0).getResponseRange().getKvs(0).getValue().toStringUtf8());
    }

    @Test
    void aFailureEtcdWouldHitMidTxnRollsTheWholeTxnBack() {
        h.put("a", "1");
        h.put("k", "v");
        // a "\0"-ended delete does not count as overlapping a put (etcd's checkIntervals), so
        // this passes validation; the put then finds its key deleted
        TxnRequest.Builder t = TxnRequest.newBuilder()
                .addSuccess(putOp("new", "x"))
                .addSuccess(deleteOp("a", "\0"))
                .addSuccess(putOp(PutRequest.newBuilder().setKey(bs("k")).setIgnoreValue(true)));
        KvRequestValidator.checkTxn(t.build());
        assertEquals(EtcdError.KEY_NOT_FOUND, errorOf(() -> h.txn(t)));
        assertEquals(3, h.store.currentRevision());
        assertEquals("1", h.get("a").getValue().toStringUtf8());
        assertEquals("v", h.get("k").getValue().toStringUtf8());
        assertNull(h.get("new"));
        assertEquals(3, h.store.consistentIndex());
    }

    @Test
    void readOnlyTxnsAreServedOnAReadView() {
        h.put("a", "1");
        TxnRequest t = TxnRequest.newBuilder()
                .addCompare(valueIs("a", "1"))
                .addSuccess(rangeOp("a"))
                .addFailure(rangeOp("b"))
                .build();
        assertTrue(Applier.isReadOnly(t));
        TxnResponse r = h.applier.readOnlyTxn(t);
        assertTrue(r.getSucceeded());
        assertEquals(2, r.getHeader().getRevision());
        assertEquals("1", r.getResponses(0).getResponseRange().getKvs(0).getValue().toStringUtf8());
        assertEquals(1, h.store.consistentIndex(), "no entry applied");
        TxnRequest writes = TxnRequest.newBuilder().addFailure(putOp("x", "y")).build();
        assertFalse(Applier.isReadOnly(writes));
        assertThrows(IllegalArgumentException.class, () -> h.applier.readOnlyTxn(writes));
        assertFalse(Applier.isReadOnly(TxnRequest.newBuilder().addSuccess(txnOp(TxnRequest.newBuilder())).build()),
                "a nested txn makes a txn a write, as etcd");
    }
}
