package io.ketch.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.internal.InternalRequest;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BackendQuotaTest {

    static InternalRequest put(String k, int valueBytes) {
        return InternalRequest.newBuilder().setPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(k))
                .setValue(ByteString.copyFrom(new byte[valueBytes]))).build();
    }

    @Test
    void costsAreEtcds() {
        assertEquals(256 + 3 + 10, BackendQuota.cost(put("abc", 10)));
        TxnRequest t = TxnRequest.newBuilder()
                .addSuccess(ApplierHarness.putOp("a", "1"))
                .addSuccess(ApplierHarness.putOp("b", "22"))
                .addFailure(ApplierHarness.putOp("c", "333333"))
                .addFailure(ApplierHarness.deleteOp("x", null))
                // a nested txn's puts are not charged (etcd's costTxnReq looks at direct puts only)
                .addFailure(ApplierHarness.txnOp(TxnRequest.newBuilder().addSuccess(ApplierHarness.putOp("n", "v"))))
                .build();
        assertEquals(Math.max(258 + 259, 257 + 6), BackendQuota.cost(InternalRequest.newBuilder().setTxn(t).build()));
        assertEquals(0, BackendQuota.cost(InternalRequest.newBuilder()
                .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("a"))).build()));
        assertEquals(0, BackendQuota.cost(InternalRequest.newBuilder()
                .setCompaction(CompactionRequest.newBuilder().setRevision(3)).build()));
        assertEquals(0, BackendQuota.cost(InternalRequest.newBuilder()
                .setTxn(TxnRequest.newBuilder().addSuccess(ApplierHarness.rangeOp("a"))).build()));
    }

    @Test
    void aRequestFitsOnlyStrictlyBelowTheQuota() {
        AtomicLong size = new AtomicLong(1000);
        BackendQuota q = BackendQuota.of(2000, size::get);
        InternalRequest p = put("k", 742); // cost 999: 1000 + 999 < 2000
        assertTrue(q.available(p));
        size.set(1001); // 1001 + 999 = 2000, not below
        assertFalse(q.available(p));
        assertTrue(q.available(InternalRequest.newBuilder()
                .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("a"))).build()),
                "a request that stores nothing always fits");
    }

    @Test
    void zeroMeansTwoGibibytesAndNegativeDisables() {
        assertEquals(2L << 30, BackendQuota.of(0, () -> 0).maxBytes());
        BackendQuota off = BackendQuota.of(-1, () -> Long.MAX_VALUE / 2);
        assertTrue(off.available(put("k", 1 << 20)));
    }
}
