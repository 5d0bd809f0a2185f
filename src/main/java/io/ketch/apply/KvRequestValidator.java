package io.ketch.apply;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.google.protobuf.ByteString;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.TxnRequest;

/**
 * The static checks etcd's KV service makes before proposing (etcd's v3rpc key.go:
 * checkRangeRequest, checkPutRequest, checkDeleteRequest, checkTxnRequest, checkIntervals),
 * with etcd's errors. Each method throws an {@link io.ketch.errors.EtcdException} or returns.
 */
public final class KvRequestValidator {

    /** etcd's default --max-txn-ops. */
    public static final int DEFAULT_MAX_TXN_OPS = 128;

    private KvRequestValidator() {}

    public static void checkRange(RangeRequest r) {
        if (r.getKey().isEmpty()) {
            throw EtcdError.EMPTY_KEY.exception();
        }
    }

    public static void checkPut(PutRequest r) {
        if (r.getKey().isEmpty()) {
            throw EtcdError.EMPTY_KEY.exception();
        }
        if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
            throw EtcdError.VALUE_PROVIDED.exception();
        }
        if (r.getIgnoreLease() && r.getLease() != 0) {
            throw EtcdError.LEASE_PROVIDED.exception();
        }
    }

    public static void checkDeleteRange(DeleteRangeRequest r) {
        if (r.getKey().isEmpty()) {
            throw EtcdError.EMPTY_KEY.exception();
        }
    }

    /**
     * The whole txn check of etcd's kvServer.Txn: the request check (op counts, empty keys,
     * each op, nested txns) and then the duplicate-key check of each branch.
     */
    public static void checkTxn(TxnRequest r, int maxTxnOps) {
        checkTxnRequest(r, maxTxnOps);
        // checked after the request check, which bounds the size (no quadratic blowup)
        checkIntervals(r.getSuccessList());
        checkIntervals(r.getFailureList());
    }

    public static void checkTxn(TxnRequest r) {
        checkTxn(r, DEFAULT_MAX_TXN_OPS);
    }

    /**
     * etcd's checkTxnRequest: the largest of (compares, success ops, failure ops) must not
     * exceed maxTxnOps; nested txns get what is left (maxTxnOps minus that largest count).
     */
    static void checkTxnRequest(TxnRequest r, int maxTxnOps) {
        int opc = r.getCompareCount();
        opc = Math.max(opc, r.getSuccessCount());
        opc = Math.max(opc, r.getFailureCount());
        if (opc > maxTxnOps) {
            throw EtcdError.TOO_MANY_OPS.exception();
        }
        for (Compare c : r.getCompareList()) {
            if (c.getKey().isEmpty()) {
                throw EtcdError.EMPTY_KEY.exception();
            }
        }
        for (RequestOp u : r.getSuccessList()) {
            checkRequestOp(u, maxTxnOps - opc);
        }
        for (RequestOp u : r.getFailureList()) {
            checkRequestOp(u, maxTxnOps - opc);
        }
    }

    private static void checkRequestOp(RequestOp u, int maxTxnOps) {
        switch (u.getRequestCase()) {
            case REQUEST_RANGE -> checkRange(u.getRequestRange());
            case REQUEST_PUT -> checkPut(u.getRequestPut());
            case REQUEST_DELETE_RANGE -> checkDeleteRange(u.getRequestDeleteRange());
            case REQUEST_TXN -> checkTxnRequest(u.getRequestTxn(), maxTxnOps);
            // an empty op: etcd answers "key not found"
            default -> throw EtcdError.KEY_NOT_FOUND.exception();
        }
    }

    /**
     * A delete's key interval as etcd builds it: [key, range_end) if range_end is set, else
     * the point [key, key+"\0"). Compared as etcd's adt string intervals (plain unsigned byte
     * order). Note that etcd's "\0" from-key end makes an empty interval here: etcd does not
     * see such a delete as overlapping any put, and neither do we.
     */
    private record Interval(byte[] begin, byte[] end) {
        static Interval point(byte[] k) {
            return new Interval(k, Arrays.copyOf(k, k.length + 1));
        }

        /** etcd's Interval.Compare(point, this) == 0 for the point [k, k+"\0"). */
        boolean intersectsPoint(byte[] k) {
            byte[] kEnd = Arrays.copyOf(k, k.length + 1);
            boolean left = affineCompare(k, begin) < 0 && affineCompare(kEnd, begin) <= 0;
            boolean right = affineCompare(k, end) >= 0;
            return !left && !right;
        }

        /** etcd's StringAffineComparable: the empty string sorts after everything. */
        private static int affineCompare(byte[] a, byte[] b) {
            if (a.length == 0) {
                return b.length == 0 ? 0 : 1;
            }
            if (b.length == 0) {
                return -1;
            }
            return Arrays.compareUnsigned(a, b);
        }
    }

    private record Writes(Set<ByteString> puts, List<Interval> dels) {
        boolean deleted(ByteString k) {
            byte[] kb = k.toByteArray();
            for (Interval iv : dels) {
                if (iv.intersectsPoint(kb)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * etcd's checkIntervals: within one branch, no key may be put twice and no put may fall
     * in a deleted range, counting nested txns (their two branches exclude each other, so
     * they may put the same key).
     */
    static void checkIntervals(List<RequestOp> reqs) {
        intervals(reqs);
    }

    private static Writes intervals(List<RequestOp> reqs) {
        List<Interval> dels = new ArrayList<>();
        // this level's deletes first, to check the puts of the nested txns against them
        for (RequestOp req : reqs) {
            if (req.getRequestCase() != RequestOp.RequestCase.REQUEST_DELETE_RANGE) {
                continue;
            }
            DeleteRangeRequest d = req.getRequestDeleteRange();
            if (!d.getRangeEnd().isEmpty()) {
                dels.add(new Interval(d.getKey().toByteArray(), d.getRangeEnd().toByteArray()));
            } else {
                dels.add(Interval.point(d.getKey().toByteArray()));
            }
        }
        Writes w = new Writes(new HashSet<>(), dels);
        // the nested txns' puts and deletes
        for (RequestOp req : reqs) {
            if (req.getRequestCase() != RequestOp.RequestCase.REQUEST_TXN) {
                continue;
            }
            TxnRequest t = req.getRequestTxn();
            Writes then = intervals(t.getSuccessList());
            Writes otherwise = intervals(t.getFailureList());
            for (ByteString k : then.puts()) {
                if (w.puts().contains(k) || w.deleted(k)) {
                    throw EtcdError.DUPLICATE_KEY.exception();
                }
                w.puts().add(k);
            }
            for (ByteString k : otherwise.puts()) {
                // a key also put by the then-branch is fine: only one branch runs
                if (w.puts().contains(k) && !then.puts().contains(k)) {
                    throw EtcdError.DUPLICATE_KEY.exception();
                }
                if (w.deleted(k)) {
                    throw EtcdError.DUPLICATE_KEY.exception();
                }
                w.puts().add(k);
            }
            dels.addAll(then.dels());
            dels.addAll(otherwise.dels());
        }
        // this level's puts
        for (RequestOp req : reqs) {
            if (req.getRequestCase() != RequestOp.RequestCase.REQUEST_PUT) {
                continue;
            }
            ByteString k = req.getRequestPut().getKey();
            if (w.puts().contains(k) || w.deleted(k)) {
                throw EtcdError.DUPLICATE_KEY.exception();
            }
            w.puts().add(k);
        }
        return w;
    }
}
