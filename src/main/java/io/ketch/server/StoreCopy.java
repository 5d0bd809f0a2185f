package io.ketch.server;

import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.snap.SnapshotRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A consistent copy of the store that costs the apply stage only a moment: taken with
 * applying paused, the key bucket is pinned at the current revision R
 * ({@link MvccStore#pinForExport}: records up to R are immutable and compactions wait) and
 * every other bucket is copied to memory; the key records are then read while writes go on.
 * The pin is a read lock of the thread that took it: read the records and {@link #close} on
 * that thread.
 */
final class StoreCopy implements AutoCloseable {
    private final MvccStore.ExportPin pin;
    private final List<SnapshotRecord> others;

    private StoreCopy(MvccStore.ExportPin pin, List<SnapshotRecord> others) {
        this.pin = pin;
        this.others = others;
    }

    /** Call with applying paused (ApplyStage.withApplyPaused). */
    static StoreCopy take(MemberStorage storage) {
        Backend backend = storage.backend();
        MvccStore.ExportPin pin = storage.store().pinForExport();
        try {
            for (String bucket : backend.bucketNames()) {
                BackendSnapshot.namespace(bucket); // refuses a bucket the copy would miss
            }
            List<SnapshotRecord> others = new ArrayList<>();
            for (String bucket : BackendSnapshot.BUCKETS) {
                if (!bucket.equals(Backend.KEY_BUCKET)) {
                    byte ns = BackendSnapshot.namespace(bucket);
                    Iterator<Map.Entry<byte[], byte[]>> it = backend.iterator(bucket, null, null);
                    while (it.hasNext()) {
                        Map.Entry<byte[], byte[]> e = it.next();
                        others.add(new SnapshotRecord(ns, e.getKey(), e.getValue()));
                    }
                }
            }
            return new StoreCopy(pin, others);
        } catch (RuntimeException e) {
            pin.close();
            throw e;
        }
    }

    /** The store revision the copy holds. */
    long revision() {
        return pin.revision();
    }

    /** Every record of the copy: the key bucket up to the pinned revision, then the other buckets. */
    Iterator<SnapshotRecord> records() {
        byte keyNs = BackendSnapshot.namespace(Backend.KEY_BUCKET);
        Iterator<Map.Entry<byte[], byte[]>> keys = pin.keyRecords();
        Iterator<SnapshotRecord> rest = others.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return keys.hasNext() || rest.hasNext();
            }

            @Override
            public SnapshotRecord next() {
                if (keys.hasNext()) {
                    Map.Entry<byte[], byte[]> e = keys.next();
                    return new SnapshotRecord(keyNs, e.getKey(), e.getValue());
                }
                return rest.next();
            }
        };
    }

    /** Releases the pin: compactions may go on. */
    @Override
    public void close() {
        pin.close();
    }
}
