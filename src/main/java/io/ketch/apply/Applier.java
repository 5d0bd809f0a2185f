package io.ketch.apply;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

import com.google.protobuf.ByteString;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.lease.Lessor;
import io.ketch.mvcc.DeleteResult;
import io.ketch.mvcc.KvView;
import io.ketch.mvcc.MvccStore;
import io.ketch.mvcc.RangeResult;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.CompactionResponse;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.DeleteRangeResponse;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.PutResponse;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.ResponseOp;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.mvcc.KeyValue;

/**
 * Applies committed KV requests to the {@link MvccStore} with etcd's semantics (etcd's
 * applierV3backend: Put, DeleteRange, Range, Txn, Compaction). Deterministic: every member
 * applies the same requests in the same order and gets the same state and answers.
 *
 * <p>{@link #apply} runs on the single applier thread. {@link #range} and
 * {@link #readOnlyTxn} may run on any thread (reads see a whole revision).
 *
 * <p>A request that fails changes nothing, but its Raft entry still counts as applied: the
 * consistent index advances either way.
 */
public final class Applier {

    private static final ByteString EMPTY = ByteString.EMPTY;
    private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();

    private final MvccStore store;
    private final LeaseLookup leases;
    /** Applies lease grants/revokes and follows key attachments; null for a KV-only applier. */
    private final LeaseApplier leaseApplier;

    /** A KV-only applier: leases are looked up, never granted (tests of the KV semantics). */
    public Applier(MvccStore store, LeaseLookup leases) {
        this.store = store;
        this.leases = leases;
        this.leaseApplier = null;
    }

    /** The member's applier: leases live in the lessor and the backend's lease bucket. */
    public Applier(MvccStore store, Lessor lessor) {
        this.store = store;
        this.leaseApplier = new LeaseApplier(store, lessor);
        this.leases = leaseApplier;
    }

    public MvccStore store() {
        return store;
    }

    // ================================================================== entry point

    /**
     * Applies one committed request: returns its response (PutResponse, DeleteRangeResponse,
     * TxnResponse or CompactionResponse, header.revision set) or throws the EtcdException
     * etcd would return. Either way the entry (raftIndex, raftTerm) is recorded as applied.
     * A request with nothing set changes nothing and returns null.
     */
    public Object apply(long raftIndex, long raftTerm, InternalRequest req) {
        switch (req.getRequestCase()) {
            case PUT:
                return applyPut(raftIndex, raftTerm, req.getPut());
            case DELETE_RANGE:
                return applyDeleteRange(raftIndex, raftTerm, req.getDeleteRange());
            case TXN:
                return applyTxn(raftIndex, raftTerm, req.getTxn());
            case COMPACTION:
                return applyCompaction(raftIndex, raftTerm, req.getCompaction());
            case LEASE_GRANT:
                return leaseApplier().grant(raftIndex, raftTerm, req.getLeaseGrant());
            case LEASE_REVOKE:
                return leaseApplier().revoke(raftIndex, raftTerm, req.getLeaseRevoke());
            default:
                store.setConsistentIndex(raftIndex, raftTerm);
                return null;
        }
    }

    private PutResponse applyPut(long raftIndex, long raftTerm, PutRequest p) {
        if (p.getLease() != 0 && !leases.exists(p.getLease())) {
            store.setConsistentIndex(raftIndex, raftTerm);
            throw EtcdError.LEASE_NOT_FOUND.exception();
        }
        MvccStore.WriteTxn txn = store.beginWrite(raftIndex, raftTerm);
        PutResponse resp;
        try {
            resp = put(txn, p);
        } catch (RuntimeException e) {
            txn.abort();
            throw e;
        }
        end(txn);
        return resp;
    }

    private DeleteRangeResponse applyDeleteRange(long raftIndex, long raftTerm, DeleteRangeRequest dr) {
        MvccStore.WriteTxn txn = store.beginWrite(raftIndex, raftTerm);
        DeleteRangeResponse resp;
        try {
            resp = deleteRange(txn, dr);
        } catch (RuntimeException e) {
            txn.abort();
            throw e;
        }
        end(txn);
        return resp;
    }

    /** Commits a write txn, then moves the keys it wrote or deleted between leases. */
    private long end(MvccStore.WriteTxn txn) {
        long rev = txn.end();
        if (leaseApplier != null) {
            leaseApplier.committed(txn);
        }
        return rev;
    }

    private LeaseApplier leaseApplier() {
        if (leaseApplier == null) {
            throw new IllegalStateException("a KV-only applier cannot apply lease requests");
        }
        return leaseApplier;
    }

    private CompactionResponse applyCompaction(long raftIndex, long raftTerm, CompactionRequest c) {
        try {
            store.compact(c.getRevision());
        } finally {
            store.setConsistentIndex(raftIndex, raftTerm);
        }
        return CompactionResponse.newBuilder()
                .setHeader(header(store.currentRevision()))
                .build();
    }

    // ================================================================== put / delete

    /** etcd's Put inside a write txn (the lease was checked by the caller). */
    private PutResponse put(MvccStore.WriteTxn txn, PutRequest p) {
        ByteString value = p.getValue();
        long lease = p.getLease();
        KeyValue prev = null;
        if (p.getIgnoreValue() || p.getIgnoreLease() || p.getPrevKv()) {
            RangeResult rr = txn.range(p.getKey().toByteArray(), null, 0, 0, false);
            if (!rr.kvs().isEmpty()) {
                prev = rr.kvs().get(0);
            }
        }
        if (p.getIgnoreValue() || p.getIgnoreLease()) {
            if (prev == null) {
                // ignore_{value,lease} needs the previous key-value
                throw EtcdError.KEY_NOT_FOUND.exception();
            }
        }
        if (p.getIgnoreValue()) {
            value = prev.getValue();
        }
        if (p.getIgnoreLease()) {
            lease = prev.getLease();
        }
        long rev = txn.put(p.getKey(), value, lease);
        PutResponse.Builder resp = PutResponse.newBuilder().setHeader(header(rev));
        if (p.getPrevKv() && prev != null) {
            resp.setPrevKv(prev);
        }
        return resp.build();
    }

    private DeleteRangeResponse deleteRange(MvccStore.WriteTxn txn, DeleteRangeRequest dr) {
        DeleteResult res = txn.deleteRange(dr.getKey().toByteArray(), dr.getRangeEnd().toByteArray(), dr.getPrevKv());
        DeleteRangeResponse.Builder resp = DeleteRangeResponse.newBuilder()
                .setHeader(header(res.rev()))
                .setDeleted(res.deleted());
        if (dr.getPrevKv()) {
            resp.addAllPrevKvs(res.prevKvs());
        }
        return resp.build();
    }

    // ================================================================== range

    /** Serves a range read at the current revision (or the requested one). */
    public RangeResponse range(RangeRequest r) {
        try (MvccStore.ReadTxn t = store.beginRead()) {
            return range(t, r);
        }
    }

    /**
     * etcd's Range on a view: with sorting or any min/max filter everything is fetched, then
     * filtered, sorted and cut to the limit; otherwise limit+1 kvs are fetched to tell
     * {@code more}. {@code count} is the number of keys in the range before the filters.
     */
    static RangeResponse range(KvView view, RangeRequest r) {
        long limit = r.getLimit();
        if (r.getSortOrderValue() != RangeRequest.SortOrder.NONE_VALUE
                || r.getMinModRevision() != 0 || r.getMaxModRevision() != 0
                || r.getMinCreateRevision() != 0 || r.getMaxCreateRevision() != 0) {
            // fetch everything; sort and truncate afterwards
            limit = 0;
        }
        if (limit > 0) {
            // one extra for the 'more' flag
            limit = limit + 1;
        }
        RangeResult rr = view.range(r.getKey().toByteArray(), r.getRangeEnd().toByteArray(),
                r.getRevision(), limit, r.getCountOnly());

        List<KeyValue> kvs = rr.kvs();
        if (r.getMaxModRevision() != 0) {
            long max = r.getMaxModRevision();
            kvs = prune(kvs, kv -> kv.getModRevision() > max);
        }
        if (r.getMinModRevision() != 0) {
            long min = r.getMinModRevision();
            kvs = prune(kvs, kv -> kv.getModRevision() < min);
        }
        if (r.getMaxCreateRevision() != 0) {
            long max = r.getMaxCreateRevision();
            kvs = prune(kvs, kv -> kv.getCreateRevision() > max);
        }
        if (r.getMinCreateRevision() != 0) {
            long min = r.getMinCreateRevision();
            kvs = prune(kvs, kv -> kv.getCreateRevision() < min);
        }

        int sortOrder = r.getSortOrderValue();
        if (r.getSortTargetValue() != RangeRequest.SortTarget.KEY_VALUE
                && sortOrder == RangeRequest.SortOrder.NONE_VALUE) {
            // the store returns keys in ascending order already; another target defaults to
            // ascending
            sortOrder = RangeRequest.SortOrder.ASCEND_VALUE;
        }
        if (sortOrder == RangeRequest.SortOrder.ASCEND_VALUE || sortOrder == RangeRequest.SortOrder.DESCEND_VALUE) {
            Comparator<KeyValue> cmp = sorter(r.getSortTargetValue());
            if (cmp != null) {
                if (sortOrder == RangeRequest.SortOrder.DESCEND_VALUE) {
                    cmp = cmp.reversed();
                }
                kvs = new ArrayList<>(kvs);
                kvs.sort(cmp); // stable: equal elements keep key order
            }
        }

        RangeResponse.Builder resp = RangeResponse.newBuilder();
        if (r.getLimit() > 0 && kvs.size() > r.getLimit()) {
            kvs = kvs.subList(0, (int) r.getLimit());
            resp.setMore(true);
        }
        resp.setHeader(header(rr.rev()));
        resp.setCount(rr.count());
        if (r.getKeysOnly()) {
            for (KeyValue kv : kvs) {
                resp.addKvs(kv.toBuilder().clearValue());
            }
        } else {
            resp.addAllKvs(kvs);
        }
        return resp.build();
    }

    private interface KvPredicate {
        boolean test(KeyValue kv);
    }

    private static List<KeyValue> prune(List<KeyValue> kvs, KvPredicate prunable) {
        List<KeyValue> out = new ArrayList<>(kvs.size());
        for (KeyValue kv : kvs) {
            if (!prunable.test(kv)) {
                out.add(kv);
            }
        }
        return out;
    }

    private static Comparator<KeyValue> sorter(int target) {
        switch (target) {
            case RangeRequest.SortTarget.KEY_VALUE:
                return (a, b) -> BYTES.compare(a.getKey(), b.getKey());
            case RangeRequest.SortTarget.VERSION_VALUE:
                return byLong(KeyValue::getVersion);
            case RangeRequest.SortTarget.CREATE_VALUE:
                return byLong(KeyValue::getCreateRevision);
            case RangeRequest.SortTarget.MOD_VALUE:
                return byLong(KeyValue::getModRevision);
            case RangeRequest.SortTarget.VALUE_VALUE:
                return (a, b) -> BYTES.compare(a.getValue(), b.getValue());
            default:
                return null;
        }
    }

    private static Comparator<KeyValue> byLong(ToLongFunction<KeyValue> f) {
        return (a, b) -> Long.compare(f.applyAsLong(a), f.applyAsLong(b));
    }

    // ================================================================== txn

    /** True if the txn only reads (both branches hold nothing but ranges), as etcd. */
    public static boolean isReadOnly(TxnRequest rt) {
        for (RequestOp op : rt.getSuccessList()) {
            if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_RANGE) {
                return false;
            }
        }
        for (RequestOp op : rt.getFailureList()) {
            if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_RANGE) {
                return false;
            }
        }
        return true;
    }

    /** True if every op of the txn is a serializable range (etcd's isTxnSerializable). */
    public static boolean isSerializable(TxnRequest rt) {
        for (RequestOp op : rt.getSuccessList()) {
            if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_RANGE || !op.getRequestRange().getSerializable()) {
                return false;
            }
        }
        for (RequestOp op : rt.getFailureList()) {
            if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_RANGE || !op.getRequestRange().getSerializable()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Serves a read-only txn (see {@link #isReadOnly}) on a read view, without Raft, as etcd
     * does. The answer's header revision is the view's revision.
     */
    public TxnResponse readOnlyTxn(TxnRequest rt) {
        if (!isReadOnly(rt)) {
            throw new IllegalArgumentException("txn writes: it must go through apply()");
        }
        try (MvccStore.ReadTxn t = store.beginRead()) {
            TxnPath path = compareToPath(t, rt);
            checkRequests(t, rt, path, Applier::checkRange);
            TxnResponse.Builder resp = executeTxn(t, rt, path);
            resp.setHeader(header(t.revision()));
            return resp.build();
        }
    }

    private TxnResponse applyTxn(long raftIndex, long raftTerm, TxnRequest rt) {
        MvccStore.WriteTxn txn = store.beginWrite(raftIndex, raftTerm);
        TxnResponse.Builder resp;
        try {
            // compares of every nested txn are evaluated first, on the state before the txn
            TxnPath path = compareToPath(txn, rt);
            if (!isReadOnly(rt)) {
                checkRequests(txn, rt, path, this::checkPut);
            }
            checkRequests(txn, rt, path, Applier::checkRange);
            resp = executeTxn(txn, rt, path);
        } catch (RuntimeException e) {
            // a failed txn changes nothing (etcd's checks make this rare; where etcd would
            // panic mid-txn we roll back instead)
            txn.abort();
            throw e;
        }
        long rev = end(txn);
        resp.setHeader(header(rev));
        return resp.build();
    }

    /** The outcome of the compares of a txn and of the nested txns in its chosen branch. */
    private record TxnPath(boolean succeeded, TxnPath[] nested) {}

    private static TxnPath compareToPath(KvView view, TxnRequest rt) {
        boolean ok = applyCompares(view, rt.getCompareList());
        List<RequestOp> ops = ok ? rt.getSuccessList() : rt.getFailureList();
        TxnPath[] nested = new TxnPath[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            RequestOp op = ops.get(i);
            if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_TXN) {
                nested[i] = compareToPath(view, op.getRequestTxn());
            }
        }
        return new TxnPath(ok, nested);
    }

    private static boolean applyCompares(KvView view, List<Compare> cmps) {
        for (Compare c : cmps) {
            if (!applyCompare(view, c)) {
                return false;
            }
        }
        return true;
    }

    /** A compare holds if every key in its range satisfies it (a missing key is all zeros). */
    static boolean applyCompare(KvView view, Compare c) {
        RangeResult rr;
        try {
            rr = view.range(c.getKey().toByteArray(), c.getRangeEnd().toByteArray(), 0, 0, false);
        } catch (EtcdException e) {
            return false;
        }
        if (rr.kvs().isEmpty()) {
            if (c.getTargetValue() == Compare.CompareTarget.VALUE_VALUE) {
                // comparing the value of a missing key always fails: nil == empty in gRPC
                return false;
            }
            return compareKv(c, KeyValue.getDefaultInstance());
        }
        for (KeyValue kv : rr.kvs()) {
            if (!compareKv(c, kv)) {
                return false;
            }
        }
        return true;
    }

    private static boolean compareKv(Compare c, KeyValue kv) {
        int result = 0;
        Compare.TargetUnionCase u = c.getTargetUnionCase();
        switch (c.getTargetValue()) {
            case Compare.CompareTarget.VALUE_VALUE: {
                ByteString v = u == Compare.TargetUnionCase.VALUE ? c.getValue() : EMPTY;
                result = Integer.signum(BYTES.compare(kv.getValue(), v));
                break;
            }
            case Compare.CompareTarget.CREATE_VALUE:
                result = Long.compare(kv.getCreateRevision(),
                        u == Compare.TargetUnionCase.CREATE_REVISION ? c.getCreateRevision() : 0);
                break;
            case Compare.CompareTarget.MOD_VALUE:
                result = Long.compare(kv.getModRevision(),
                        u == Compare.TargetUnionCase.MOD_REVISION ? c.getModRevision() : 0);
                break;
            case Compare.CompareTarget.VERSION_VALUE:
                result = Long.compare(kv.getVersion(),
                        u == Compare.TargetUnionCase.VERSION ? c.getVersion() : 0);
                break;
            case Compare.CompareTarget.LEASE_VALUE:
                result = Long.compare(kv.getLease(),
                        u == Compare.TargetUnionCase.LEASE ? c.getLease() : 0);
                break;
            default:
                break;
        }
        switch (c.getResultValue()) {
            case Compare.CompareResult.EQUAL_VALUE:
                return result == 0;
            case Compare.CompareResult.NOT_EQUAL_VALUE:
                return result != 0;
            case Compare.CompareResult.GREATER_VALUE:
                return result > 0;
            case Compare.CompareResult.LESS_VALUE:
                return result < 0;
            default:
                return true;
        }
    }

    private interface RequestCheck {
        void check(KvView view, RequestOp op);
    }

    /** Runs a check on every non-txn op of the chosen branches, depth first, in order. */
    private static void checkRequests(KvView view, TxnRequest rt, TxnPath path, RequestCheck f) {
        List<RequestOp> ops = path.succeeded() ? rt.getSuccessList() : rt.getFailureList();
        for (int i = 0; i < ops.size(); i++) {
            RequestOp op = ops.get(i);
            if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_TXN) {
                checkRequests(view, op.getRequestTxn(), path.nested()[i], f);
                continue;
            }
            f.check(view, op);
        }
    }

    /** A put in a txn: ignore_value/ignore_lease need the key; a lease must exist. */
    private void checkPut(KvView view, RequestOp op) {
        if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_PUT) {
            return;
        }
        PutRequest p = op.getRequestPut();
        if (p.getIgnoreValue() || p.getIgnoreLease()) {
            RangeResult rr = view.range(p.getKey().toByteArray(), null, 0, 0, false);
            if (rr.kvs().isEmpty()) {
                throw EtcdError.KEY_NOT_FOUND.exception();
            }
        }
        if (p.getLease() != 0 && !leases.exists(p.getLease())) {
            throw EtcdError.LEASE_NOT_FOUND.exception();
        }
    }

    /** A range in a txn must read neither a future nor a compacted revision. */
    private static void checkRange(KvView view, RequestOp op) {
        if (op.getRequestCase() != RequestOp.RequestCase.REQUEST_RANGE) {
            return;
        }
        long rev = op.getRequestRange().getRevision();
        if (rev == 0) {
            return;
        }
        if (rev > view.revision()) {
            throw EtcdError.FUTURE_REV.exception();
        }
        if (rev < view.compactRevision()) {
            throw EtcdError.COMPACTED.exception();
        }
    }

    /**
     * Executes the chosen branch in order on the view (a write txn, or a read txn for a
     * read-only txn). Responses carry their own header revision; a nested txn's header has
     * none (as etcd).
     */
    private TxnResponse.Builder executeTxn(KvView view, TxnRequest rt, TxnPath path) {
        List<RequestOp> ops = path.succeeded() ? rt.getSuccessList() : rt.getFailureList();
        TxnResponse.Builder resp = TxnResponse.newBuilder().setSucceeded(path.succeeded());
        for (int i = 0; i < ops.size(); i++) {
            RequestOp op = ops.get(i);
            switch (op.getRequestCase()) {
                case REQUEST_RANGE:
                    resp.addResponses(ResponseOp.newBuilder().setResponseRange(range(view, op.getRequestRange())));
                    break;
                case REQUEST_PUT:
                    resp.addResponses(ResponseOp.newBuilder().setResponsePut(put(writer(view), op.getRequestPut())));
                    break;
                case REQUEST_DELETE_RANGE:
                    resp.addResponses(ResponseOp.newBuilder()
                            .setResponseDeleteRange(deleteRange(writer(view), op.getRequestDeleteRange())));
                    break;
                case REQUEST_TXN: {
                    TxnResponse.Builder nested = executeTxn(view, op.getRequestTxn(), path.nested()[i]);
                    nested.setHeader(ResponseHeader.getDefaultInstance());
                    resp.addResponses(ResponseOp.newBuilder().setResponseTxn(nested));
                    break;
                }
                default:
                    resp.addResponses(ResponseOp.getDefaultInstance());
                    break;
            }
        }
        return resp;
    }

    private static MvccStore.WriteTxn writer(KvView view) {
        if (view instanceof MvccStore.WriteTxn w) {
            return w;
        }
        throw new IllegalStateException("write op in a read-only txn");
    }

    private static ResponseHeader header(long revision) {
        return ResponseHeader.newBuilder().setRevision(revision).build();
    }
}
