package io.ketch.apply;

import static io.ketch.apply.ApplierHarness.bs;
import static io.ketch.apply.ApplierHarness.deleteOp;
import static io.ketch.apply.ApplierHarness.errorOf;
import static io.ketch.apply.ApplierHarness.putOp;
import static io.ketch.apply.ApplierHarness.rangeOp;
import static io.ketch.apply.ApplierHarness.txnOp;
import static io.ketch.apply.ApplierHarness.valueIs;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.TxnRequest;

class KvRequestValidatorTest {

    private static void ok(TxnRequest.Builder t) {
        KvRequestValidator.checkTxn(t.build(), 128);
    }

    private static EtcdError txnError(TxnRequest.Builder t, int max) {
        return errorOf(() -> KvRequestValidator.checkTxn(t.build(), max));
    }

    private static EtcdError txnError(TxnRequest.Builder t) {
        return txnError(t, 128);
    }

    // ------------------------------------------------------------ single requests

    @Test
    void anEmptyKeyIsRejectedForRangePutAndDelete() {
        assertEquals(EtcdError.EMPTY_KEY, errorOf(() -> KvRequestValidator.checkRange(RangeRequest.newBuilder().build())));
        assertEquals(EtcdError.EMPTY_KEY, errorOf(() -> KvRequestValidator.checkRange(
                RangeRequest.newBuilder().setRangeEnd(bs("\0")).build())));
        assertEquals(EtcdError.EMPTY_KEY, errorOf(() -> KvRequestValidator.checkPut(
                PutRequest.newBuilder().setValue(bs("v")).build())));
        assertEquals(EtcdError.EMPTY_KEY, errorOf(() -> KvRequestValidator.checkDeleteRange(
                DeleteRangeRequest.newBuilder().setRangeEnd(bs("z")).build())));
        KvRequestValidator.checkRange(RangeRequest.newBuilder().setKey(bs("a")).build());
        KvRequestValidator.checkDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a")).build());
    }

    @Test
    void ignoreValueWithAValueIsValueProvided() {
        assertEquals(EtcdError.VALUE_PROVIDED, errorOf(() -> KvRequestValidator.checkPut(
                PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).setIgnoreValue(true).build())));
        KvRequestValidator.checkPut(PutRequest.newBuilder().setKey(bs("k")).setIgnoreValue(true).build());
    }

    @Test
    void ignoreLeaseWithALeaseIsLeaseProvided() {
        assertEquals(EtcdError.LEASE_PROVIDED, errorOf(() -> KvRequestValidator.checkPut(
                PutRequest.newBuilder().setKey(bs("k")).setLease(3).setIgnoreLease(true).build())));
        KvRequestValidator.checkPut(PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).setIgnoreLease(true).build());
    }

    // ------------------------------------------------------------ txn shape

    @Test
    void tooManyOpsCountsTheLargestOfComparesSuccessAndFailure() {
        TxnRequest.Builder three = TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1")).addSuccess(putOp("b", "1")).addSuccess(putOp("c", "1"));
        assertEquals(EtcdError.TOO_MANY_OPS, txnError(three, 2));
        KvRequestValidator.checkTxn(three.build(), 3);
        TxnRequest.Builder branches = TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1")).addSuccess(putOp("b", "1"))
                .addFailure(putOp("c", "1")).addFailure(putOp("d", "1"));
        KvRequestValidator.checkTxn(branches.build(), 2); // per branch, not summed
        TxnRequest.Builder compares = TxnRequest.newBuilder()
                .addCompare(valueIs("a", "1")).addCompare(valueIs("b", "1")).addCompare(valueIs("c", "1"));
        assertEquals(EtcdError.TOO_MANY_OPS, txnError(compares, 2));
        TxnRequest.Builder failures = TxnRequest.newBuilder()
                .addFailure(rangeOp("a")).addFailure(rangeOp("b")).addFailure(rangeOp("c"));
        assertEquals(EtcdError.TOO_MANY_OPS, txnError(failures, 2));
    }

    @Test
    void nestedTxnsGetTheOpsTheirParentLeaves() {
        TxnRequest.Builder nested2 = TxnRequest.newBuilder().addSuccess(putOp("x", "1")).addSuccess(putOp("y", "1"));
        // parent uses 2 of 4: the nested txn may have 2
        KvRequestValidator.checkTxn(TxnRequest.newBuilder()
                .addSuccess(txnOp(nested2)).addSuccess(putOp("a", "1")).build(), 4);
        // parent uses 3 of 4: the nested txn may have 1
        assertEquals(EtcdError.TOO_MANY_OPS, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(nested2)).addSuccess(putOp("a", "1")).addSuccess(putOp("b", "1")), 4));
    }

    @Test
    void emptyKeysInComparesAndOpsAreRejectedAtAnyDepth() {
        assertEquals(EtcdError.EMPTY_KEY, txnError(TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder().setTarget(Compare.CompareTarget.VERSION))));
        assertEquals(EtcdError.EMPTY_KEY, txnError(TxnRequest.newBuilder().addFailure(putOp("", "v"))));
        assertEquals(EtcdError.EMPTY_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(TxnRequest.newBuilder().addFailure(rangeOp(""))))));
        assertEquals(EtcdError.VALUE_PROVIDED, txnError(TxnRequest.newBuilder().addSuccess(putOp(
                PutRequest.newBuilder().setKey(bs("k")).setValue(bs("v")).setIgnoreValue(true)))));
    }

    @Test
    void anEmptyOpIsKeyNotFoundAsEtcd() {
        assertEquals(EtcdError.KEY_NOT_FOUND, txnError(TxnRequest.newBuilder().addSuccess(RequestOp.getDefaultInstance())));
    }

    @Test
    void theShapeCheckComesBeforeTheDuplicateCheck() {
        assertEquals(EtcdError.TOO_MANY_OPS, txnError(TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1")).addSuccess(putOp("a", "1")).addSuccess(putOp("b", "1")), 2));
    }

    // ------------------------------------------------------------ duplicate keys

    @Test
    void puttingAKeyTwiceInABranchIsADuplicate() {
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1")).addSuccess(putOp("a", "2"))));
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addFailure(putOp("a", "1")).addFailure(putOp("a", "2"))));
        ok(TxnRequest.newBuilder().addSuccess(putOp("a", "1")).addFailure(putOp("a", "2")));
    }

    @Test
    void aPutInsideADeletedRangeOrPointIsADuplicate() {
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(deleteOp("a", "c")).addSuccess(putOp("b", "1"))));
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1")).addSuccess(deleteOp("a", null))));
        ok(TxnRequest.newBuilder().addSuccess(deleteOp("a", "c")).addSuccess(putOp("c", "1")));
        ok(TxnRequest.newBuilder().addSuccess(deleteOp("b", "c")).addSuccess(putOp("a", "1")));
        ok(TxnRequest.newBuilder().addSuccess(deleteOp("a", null)).addSuccess(putOp("a\0", "1")));
        ok(TxnRequest.newBuilder().addSuccess(deleteOp("a", null)).addSuccess(deleteOp("a", "z")));
    }

    @Test
    void aFromKeyDeleteDoesNotConflictWithPutsAsInEtcd() {
        // etcd builds the interval [key, "\0"), which is empty
        ok(TxnRequest.newBuilder().addSuccess(deleteOp("a", "\0")).addSuccess(putOp("b", "1")));
    }

    @Test
    void nestedPutsConflictWithTheParentsPutsAndDeletes() {
        TxnRequest.Builder nestedPutA = TxnRequest.newBuilder().addSuccess(putOp("a", "1"));
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(nestedPutA)).addSuccess(putOp("a", "2"))));
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(deleteOp("a", "b")).addSuccess(txnOp(nestedPutA))));
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(TxnRequest.newBuilder().addFailure(putOp("a", "1")))).addSuccess(putOp("a", "2"))));
        // a nested delete covers the parent's puts
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(deleteOp("a", null)))).addSuccess(putOp("a", "2"))));
    }

    @Test
    void theTwoBranchesOfANestedTxnMayPutTheSameKey() {
        ok(TxnRequest.newBuilder().addSuccess(txnOp(TxnRequest.newBuilder()
                .addSuccess(putOp("a", "1")).addFailure(putOp("a", "2")))));
    }

    @Test
    void siblingNestedTxnsMayNotPutTheSameKey() {
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(putOp("a", "1"))))
                .addSuccess(txnOp(TxnRequest.newBuilder().addFailure(putOp("a", "2"))))));
        // a later sibling's put inside an earlier sibling's delete
        assertEquals(EtcdError.DUPLICATE_KEY, txnError(TxnRequest.newBuilder()
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(deleteOp("a", "c"))))
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(putOp("b", "2"))))));
        // etcd checks a nested put only against deletes collected before it
        ok(TxnRequest.newBuilder()
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(putOp("b", "2"))))
                .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(deleteOp("a", "c")))));
    }

    @Test
    void rangesNeverConflict() {
        ok(TxnRequest.newBuilder().addSuccess(rangeOp("a")).addSuccess(putOp("a", "1")).addSuccess(rangeOp("a")));
    }
}
