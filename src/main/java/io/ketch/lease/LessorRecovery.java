package io.ketch.lease;

import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.mvcc.RangeResult;
import io.ketch.pb.lease.Lease;
import io.ketch.pb.mvcc.KeyValue;
import java.util.Arrays;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Rebuilds a lessor from the backend at startup (etcd: lessor initAndRecover, then the MVCC
 * restore re-attaching keys): the leases from the {@value LeaseBucket#NAME} bucket, then every
 * live key with a lease attached to it. Deadlines start when the lessor is promoted.
 */
public final class LessorRecovery {
    private static final Logger LOG = Logger.getLogger(LessorRecovery.class);
    private static final int CHUNK = 1000;

    private LessorRecovery() {}

    public static void recover(Backend backend, MvccStore store, Lessor lessor) {
        List<Lease> persisted = LeaseBucket.all(backend);
        for (Lease l : persisted) {
            lessor.restore(l.getID(), l.getTTL());
        }
        long attached = 0;
        long rev = store.currentRevision();
        byte[] from = {0};
        byte[] all = {0};
        while (true) {
            RangeResult rr = store.range(from, all, rev, CHUNK, false);
            for (KeyValue kv : rr.kvs()) {
                if (kv.getLease() == 0) {
                    continue;
                }
                if (lessor.attach(kv.getKey(), kv.getLease())) {
                    attached++;
                } else {
                    LOG.warnf("key %s names lease %016x, which does not exist; left unattached",
                            kv.getKey().toStringUtf8(), kv.getLease());
                }
            }
            if (rr.kvs().size() < CHUNK) {
                break;
            }
            byte[] last = rr.kvs().get(rr.kvs().size() - 1).getKey().toByteArray();
            from = Arrays.copyOf(last, last.length + 1); // the smallest key after last
        }
        if (!persisted.isEmpty()) {
            LOG.infof("recovered %d leases with %d attached keys", persisted.size(), attached);
        }
    }
}
