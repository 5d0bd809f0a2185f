package io.ketch.apply;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import com.google.protobuf.ByteString;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.lease.LessorRecovery;
import io.ketch.lease.Lessor;
import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.PutResponse;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.mvcc.KeyValue;

/** An applier on a fresh store, with builders for requests; Raft indexes count from 1. */
final class ApplierHarness implements AutoCloseable {

    final Backend backend;
    final MvccStore store;
    final Set<Long> leases = new HashSet<>();
    final Applier applier;
    long index;

    ApplierHarness(Path file) {
        backend = Backend.open(file);
        store = MvccStore.open(backend);
        applier = new Applier(store, leases::contains);
    }

    /** The member's applier: leases granted and revoked through the lessor (the set is unused). */
    ApplierHarness(Path file, Lessor lessor) {
        backend = Backend.open(file);
        store = MvccStore.open(backend);
        LessorRecovery.recover(backend, store, lessor);
        applier = new Applier(store, lessor);
        index = store.consistentIndex();
    }

    static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    Object apply(InternalRequest.Builder r) {
        return applier.apply(++index, 1, r.setId(index).build());
    }

    PutResponse put(PutRequest.Builder p) {
        return (PutResponse) apply(InternalRequest.newBuilder().setPut(p));
    }

    PutResponse put(String k, String v) {
        return put(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)));
    }

    Object delete(DeleteRangeRequest.Builder d) {
        return apply(InternalRequest.newBuilder().setDeleteRange(d));
    }

    TxnResponse txn(TxnRequest.Builder t) {
        return (TxnResponse) apply(InternalRequest.newBuilder().setTxn(t));
    }

    Object compact(long rev) {
        return apply(InternalRequest.newBuilder().setCompaction(CompactionRequest.newBuilder().setRevision(rev)));
    }

    RangeResponse range(RangeRequest.Builder r) {
        return applier.range(r.build());
    }

    RangeResponse range(String key, String end) {
        return range(RangeRequest.newBuilder().setKey(bs(key)).setRangeEnd(bs(end)));
    }

    KeyValue get(String key) {
        RangeResponse r = range(RangeRequest.newBuilder().setKey(bs(key)));
        return r.getKvsCount() == 0 ? null : r.getKvs(0);
    }

    static EtcdError errorOf(Runnable r) {
        return assertThrows(EtcdException.class, r::run).error;
    }

    // request builders

    static RequestOp putOp(String k, String v) {
        return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v))).build();
    }

    static RequestOp putOp(PutRequest.Builder p) {
        return RequestOp.newBuilder().setRequestPut(p).build();
    }

    static RequestOp rangeOp(RangeRequest.Builder r) {
        return RequestOp.newBuilder().setRequestRange(r).build();
    }

    static RequestOp rangeOp(String k) {
        return rangeOp(RangeRequest.newBuilder().setKey(bs(k)));
    }

    static RequestOp deleteOp(String k, String end) {
        DeleteRangeRequest.Builder d = DeleteRangeRequest.newBuilder().setKey(bs(k));
        if (end != null) {
            d.setRangeEnd(bs(end));
        }
        return RequestOp.newBuilder().setRequestDeleteRange(d).build();
    }

    static RequestOp txnOp(TxnRequest.Builder t) {
        return RequestOp.newBuilder().setRequestTxn(t).build();
    }

    static Compare.Builder cmp(String key, Compare.CompareTarget target, Compare.CompareResult result) {
        return Compare.newBuilder().setKey(bs(key)).setTarget(target).setResult(result);
    }

    static Compare valueIs(String key, String value) {
        return cmp(key, Compare.CompareTarget.VALUE, Compare.CompareResult.EQUAL).setValue(bs(value)).build();
    }

    @Override
    public void close() {
        backend.close();
    }
}
