package io.ketch.server;

import io.ketch.alarm.AlarmStore;
import io.ketch.lease.LeaseBucket;
import io.ketch.membership.MembershipStore;
import io.ketch.mvcc.Backend;
import io.ketch.snap.SnapshotRecord;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Maps the backend's buckets to snapshot-file records and back. A snapshot record names its
 * bucket by a one-byte namespace: the bucket's position in {@link #BUCKETS}, so the list
 * may only ever grow at its end.
 */
final class BackendSnapshot {
    static final List<String> BUCKETS = List.of(Backend.KEY_BUCKET, Backend.META_BUCKET,
            AlarmStore.BUCKET, LeaseBucket.NAME, MembershipStore.BUCKET, MembershipStore.REMOVED_BUCKET);

    private BackendSnapshot() {}

    /** Every record of every known bucket, in bucket then key order. */
    static Iterator<SnapshotRecord> records(Backend backend) {
        for (String name : backend.bucketNames()) {
            if (!BUCKETS.contains(name)) {
                throw new IllegalStateException("backend bucket " + name + " has no snapshot namespace");
            }
        }
        return new Iterator<>() {
            private int bucket = -1;
            private Iterator<Map.Entry<byte[], byte[]>> current = List.<Map.Entry<byte[], byte[]>>of().iterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && bucket + 1 < BUCKETS.size()) {
                    bucket++;
                    current = backend.iterator(BUCKETS.get(bucket), null, null);
                }
                return current.hasNext();
            }

            @Override
            public SnapshotRecord next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<byte[], byte[]> e = current.next();
                return new SnapshotRecord((byte) bucket, e.getKey(), e.getValue());
            }
        };
    }

    /** The namespace byte of a bucket in snapshot records. */
    static byte namespace(String bucket) {
        int ns = BUCKETS.indexOf(bucket);
        if (ns < 0) {
            throw new IllegalStateException("backend bucket " + bucket + " has no snapshot namespace");
        }
        return (byte) ns;
    }

    static void load(Backend backend, SnapshotRecord r) {
        int ns = r.namespace();
        if (ns < 0 || ns >= BUCKETS.size()) {
            throw new IllegalStateException("snapshot record of unknown namespace " + ns);
        }
        backend.put(BUCKETS.get(ns), r.key(), r.value());
    }
}
