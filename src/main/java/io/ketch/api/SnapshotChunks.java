package io.ketch.api;

import com.google.protobuf.ByteString;
import io.ketch.pb.etcdserver.SnapshotResponse;
import io.ketch.server.SnapshotExport;
import io.ketch.snap.PortableSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The messages of Maintenance.Snapshot, as etcd sends them: the file in chunks of
 * {@value #CHUNK_BYTES} bytes, each with the bytes still to come after it, then one last
 * message holding the SHA-256 of everything sent (remaining_bytes 0). Reads the file lazily,
 * one chunk per message requested. Not thread-safe; close it to release the file.
 */
final class SnapshotChunks implements Iterator<SnapshotResponse>, AutoCloseable {
    /** etcd's snapshotSendBufferSize. */
    static final int CHUNK_BYTES = 32 * 1024;

    private final SnapshotExport export;
    private final InputStream in;
    private final MessageDigest sha = PortableSnapshot.sha256();
    private long sent;
    private boolean hashSent;

    SnapshotChunks(SnapshotExport export) throws IOException {
        this.export = export;
        try {
            this.in = Files.newInputStream(export.file());
        } catch (IOException | RuntimeException e) {
            export.close();
            throw e;
        }
    }

    @Override
    public boolean hasNext() {
        return !hashSent;
    }

    @Override
    public SnapshotResponse next() {
        if (hashSent) {
            throw new NoSuchElementException();
        }
        long total = export.size();
        if (sent >= total) {
            hashSent = true;
            return SnapshotResponse.newBuilder().setRemainingBytes(0).setBlob(ByteString.copyFrom(sha.digest())).build();
        }
        try {
            byte[] buf = in.readNBytes((int) Math.min(CHUNK_BYTES, total - sent));
            if (buf.length == 0) {
                throw new IOException("snapshot file " + export.file() + " ended after " + sent + " of " + total + " bytes");
            }
            sha.update(buf);
            sent += buf.length;
            return SnapshotResponse.newBuilder().setRemainingBytes(total - sent).setBlob(ByteString.copyFrom(buf)).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // the file is deleted next anyway
        }
        export.close();
    }
}
