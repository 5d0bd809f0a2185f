package io.ketch.apply;

import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.internal.InternalRequest;
import java.util.function.LongSupplier;

/**
 * etcd's backend space quota (etcdserver/quota.go): a request that stores data is charged an
 * estimate of the bytes it adds, and it fits only if the backend file plus that charge stays
 * below the quota. Requests that store nothing always fit.
 */
public final class BackendQuota {
    /** etcd's DefaultQuotaBytes, used when the flag is 0. */
    public static final long DEFAULT_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;
    /** etcd's estimate of a key's metadata. */
    static final int KV_OVERHEAD = 256;
    /** etcd's estimate of a lease (charged for LeaseGrant). */
    public static final int LEASE_OVERHEAD = 64;

    private final long maxBytes;
    private final LongSupplier backendBytes;

    private BackendQuota(long maxBytes, LongSupplier backendBytes) {
        this.maxBytes = maxBytes;
        this.backendBytes = backendBytes;
    }

    /**
     * The quota of {@code --quota-backend-bytes}: 0 means etcd's default of 2 GiB, a negative
     * value disables the quota.
     *
     * @param backendBytes the backend's current size on disk
     */
    public static BackendQuota of(long quotaBackendBytes, LongSupplier backendBytes) {
        if (quotaBackendBytes < 0) {
            return new BackendQuota(Long.MAX_VALUE, () -> 0);
        }
        return new BackendQuota(quotaBackendBytes == 0 ? DEFAULT_QUOTA_BYTES : quotaBackendBytes, backendBytes);
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** True if the request stores nothing, or if the backend plus its cost stays below the quota. */
    public boolean available(InternalRequest request) {
        long cost = cost(request);
        if (cost == 0) {
            return true;
        }
        return backendBytes.getAsLong() + cost < maxBytes;
    }

    /** etcd's charge for a request: puts, txns with puts and lease grants cost, everything else is free. */
    public static long cost(InternalRequest request) {
        switch (request.getRequestCase()) {
            case PUT:
                return costPut(request.getPut());
            case LEASE_GRANT:
                return LEASE_OVERHEAD;
            case TXN:
                return costTxn(request.getTxn());
            default:
                return 0;
        }
    }

    static long costPut(PutRequest p) {
        return KV_OVERHEAD + (long) p.getKey().size() + p.getValue().size();
    }

    /**
     * The costlier branch of the txn, counting only its direct puts (as etcd does: puts in a
     * nested txn are not charged).
     */
    public static long costTxn(TxnRequest t) {
        long success = 0;
        for (RequestOp op : t.getSuccessList()) {
            if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_PUT) {
                success += costPut(op.getRequestPut());
            }
        }
        long failure = 0;
        for (RequestOp op : t.getFailureList()) {
            if (op.getRequestCase() == RequestOp.RequestCase.REQUEST_PUT) {
                failure += costPut(op.getRequestPut());
            }
        }
        return Math.max(success, failure);
    }
}
