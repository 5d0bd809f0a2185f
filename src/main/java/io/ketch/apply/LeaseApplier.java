package io.ketch.apply;

import com.google.protobuf.ByteString;
import io.ketch.errors.EtcdError;
import io.ketch.lease.LeaseBucket;
import io.ketch.lease.Lessor;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrantResponse;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import io.ketch.pb.etcdserver.LeaseRevokeResponse;
import io.ketch.pb.etcdserver.ResponseHeader;
import org.jboss.logging.Logger;

/**
 * The lease half of the applier (etcd's applierV3backend LeaseGrant/LeaseRevoke and the
 * lessor calls inside mvcc's put and delete). Keeps three things in step, in log order: the
 * {@link Lessor}, the {@value LeaseBucket#NAME} bucket and the keys' lease fields.
 *
 * <p>Invariant: a live key with lease L is attached to L in the lessor, and L exists. Puts
 * with a lease are checked before they are applied (the lease exists) and a revoke deletes
 * every attached key in one write transaction together with the lease record.
 */
final class LeaseApplier implements LeaseLookup {
    private static final Logger LOG = Logger.getLogger(LeaseApplier.class);

    private final MvccStore store;
    private final Lessor lessor;

    LeaseApplier(MvccStore store, Lessor lessor) {
        this.store = store;
        this.lessor = lessor;
    }

    @Override
    public boolean exists(long leaseId) {
        return lessor.exists(leaseId);
    }

    /** etcd's LeaseGrant: the response carries the granted ID and TTL (raised to the minimum). */
    LeaseGrantResponse grant(long raftIndex, long raftTerm, LeaseGrantRequest r) {
        try {
            long ttl = lessor.grant(r.getID(), r.getTTL());
            LeaseBucket.put(store.backend(), r.getID(), ttl);
            return LeaseGrantResponse.newBuilder()
                    .setHeader(header())
                    .setID(r.getID())
                    .setTTL(ttl)
                    .build();
        } finally {
            store.setConsistentIndex(raftIndex, raftTerm);
        }
    }

    /**
     * etcd's LeaseRevoke: deletes every key attached to the lease, in byte order, in ONE write
     * transaction (one revision, so watchers see all the deletions at once), removes the lease
     * record, then forgets the lease.
     */
    LeaseRevokeResponse revoke(long raftIndex, long raftTerm, LeaseRevokeRequest r) {
        long id = r.getID();
        if (!lessor.exists(id)) {
            store.setConsistentIndex(raftIndex, raftTerm);
            throw EtcdError.LEASE_NOT_FOUND.exception();
        }
        MvccStore.WriteTxn txn = store.beginWrite(raftIndex, raftTerm);
        try {
            for (ByteString key : lessor.keys(id)) {
                txn.deleteRange(key.toByteArray(), null, false);
            }
        } catch (RuntimeException e) {
            txn.abort();
            throw e;
        }
        txn.end();
        LeaseBucket.delete(store.backend(), id);
        committed(txn);
        lessor.revoked(id);
        return LeaseRevokeResponse.newBuilder().setHeader(header()).build();
    }

    /** Follows a committed write txn's key changes: attach, re-attach, detach on delete. */
    void committed(MvccStore.WriteTxn txn) {
        txn.forEachChange(this::changed);
    }

    private void changed(io.ketch.pb.mvcc.KeyValue kv, boolean deleted) {
        if (deleted || kv.getLease() == 0) {
            lessor.detach(kv.getKey());
            return;
        }
        if (!lessor.attach(kv.getKey(), kv.getLease())) {
            // cannot happen: the put was checked against the lessor on this thread just before
            LOG.errorf("key %s was written with lease %016x, which does not exist",
                    kv.getKey().toStringUtf8(), kv.getLease());
        }
    }

    private ResponseHeader header() {
        return ResponseHeader.newBuilder().setRevision(store.currentRevision()).build();
    }
}
