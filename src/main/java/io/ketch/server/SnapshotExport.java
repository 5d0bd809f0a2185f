package io.ketch.server;

import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.snap.PortableSnapshot;
import io.ketch.snap.SnapshotMeta;
import io.ketch.snap.SnapshotRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A point-in-time copy of the member's store in a temporary file, for Maintenance.Snapshot
 * (see {@link PortableSnapshot} for the format). Delete it with {@link #close()}.
 *
 * <p>Consistency: with applying paused for a moment, the key bucket is pinned at the current
 * revision R ({@link MvccStore#pinForExport}) and every other bucket (meta, alarm, ...) is
 * copied to memory, so all of them describe the same applied entry. Then applying resumes
 * and the key bucket's records up to R are written out while writes go on: they are
 * immutable until a compaction, and compactions wait for the pin (so a compaction requested
 * meanwhile holds up the writes behind it until the file is written; streaming the file to
 * the client happens afterwards and holds nothing).
 *
 * @param file     the body, to be streamed and then followed by its SHA-256
 * @param size     the body's length in bytes
 * @param revision the store revision the copy holds
 * @param index    the applied index the copy holds
 */
public record SnapshotExport(Path file, long size, long revision, long index) implements AutoCloseable {

    static SnapshotExport write(Path dir, ApplyStage applyStage, MemberStorage storage) throws IOException {
        Path file = Files.createTempFile(dir, "stream-", ".tmp");
        try {
            Backend backend = storage.backend();
            List<SnapshotRecord> others = new ArrayList<>();
            long[] index = new long[1];
            MvccStore.ExportPin pin = applyStage.withApplyPaused(() -> {
                MvccStore.ExportPin p = storage.store().pinForExport();
                try {
                    backend.sync(); // writes the consistent index into meta
                    index[0] = backend.consistentIndex();
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
                    for (String bucket : backend.bucketNames()) {
                        BackendSnapshot.namespace(bucket); // refuses a bucket the copy would miss
                    }
                    return p;
                } catch (RuntimeException e) {
                    p.close();
                    throw e;
                }
            });
            long size;
            try {
                byte keyNs = BackendSnapshot.namespace(Backend.KEY_BUCKET);
                Iterator<Map.Entry<byte[], byte[]>> keys = pin.keyRecords();
                Iterator<SnapshotRecord> records = new Iterator<>() {
                    private final Iterator<SnapshotRecord> rest = others.iterator();

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
                size = PortableSnapshot.writeBody(file,
                        new SnapshotMeta(index[0], storage.store().consistentTerm(), new byte[0]), records);
            } finally {
                pin.close();
            }
            return new SnapshotExport(file, size, pin.revision(), index[0]);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** Deletes the file. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
