package io.ketch.lease;

import io.ketch.mvcc.Backend;
import io.ketch.pb.lease.Lease;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The backend bucket {@value #NAME}: one record per lease, keyed by its ID (8 bytes
 * big-endian, as etcd), valued by a leasepb.Lease with the granted TTL. Deadlines are not
 * stored: they are not part of the replicated state.
 */
public final class LeaseBucket {
    public static final String NAME = "lease";

    private LeaseBucket() {}

    static byte[] key(long id) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (id >>> (56 - 8 * i));
        }
        return b;
    }

    public static void put(Backend backend, long id, long ttl) {
        backend.put(NAME, key(id), Lease.newBuilder().setID(id).setTTL(ttl).build().toByteArray());
    }

    public static void delete(Backend backend, long id) {
        backend.delete(NAME, key(id));
    }

    /** Every persisted lease, in ID byte order. */
    public static List<Lease> all(Backend backend) {
        List<Lease> out = new ArrayList<>();
        Iterator<Map.Entry<byte[], byte[]>> it = backend.iterator(NAME, null, null);
        while (it.hasNext()) {
            Map.Entry<byte[], byte[]> e = it.next();
            try {
                out.add(Lease.parseFrom(e.getValue()));
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new IllegalStateException("lease bucket: record " + java.util.HexFormat.of().formatHex(e.getKey())
                        + " is not a lease", ex);
            }
        }
        return out;
    }
}
