package io.ketch.server;

import io.ketch.snap.PortableSnapshot;
import io.ketch.snap.SnapshotMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A point-in-time copy of the member's store in a temporary file, for Maintenance.Snapshot
 * (see {@link PortableSnapshot} for the format). Delete it with {@link #close()}.
 *
 * <p>Consistency: with applying paused for a moment, the key bucket is pinned at the current
 * revision R (see {@link StoreCopy}) and every other bucket (meta, alarm, ...) is
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
            long[] index = new long[1];
            StoreCopy copy = applyStage.withApplyPaused(() -> {
                storage.backend().sync(); // writes the consistent index into meta
                index[0] = storage.backend().consistentIndex();
                return StoreCopy.take(storage);
            });
            long size;
            try (copy) {
                size = PortableSnapshot.writeBody(file,
                        new SnapshotMeta(index[0], storage.store().consistentTerm(), new byte[0]), copy.records());
            }
            return new SnapshotExport(file, size, copy.revision(), index[0]);
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
