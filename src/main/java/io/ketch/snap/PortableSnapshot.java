package io.ketch.snap;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Iterator;

/**
 * The file a client saves from Maintenance.Snapshot ({@code etcdctl snapshot save}) and
 * {@code ketch snapshot restore} reads. etcd streams its bbolt file and then the SHA-256 of
 * what it streamed; {@code etcdctl snapshot save} accepts the download only if its size is a
 * multiple of 512 plus the 32 bytes of that hash (bbolt files are whole pages). So the body
 * is a snapshot file of this package, padded to a multiple of 512 bytes:
 * <pre>
 *   body:   snapshot file (see package-info) | zero padding | int64 snapshot file length | "KETCHSNP"
 *   saved:  body | SHA-256 of body (32 bytes, the server's last message)
 * </pre>
 * The body length is a multiple of {@value #ALIGN}. etcdctl's {@code snapshot status} and
 * {@code snapshot restore} read only bbolt files and do not understand this one.
 */
public final class PortableSnapshot {
    public static final int ALIGN = 512;
    public static final int SHA256_BYTES = 32;
    static final byte[] FOOTER_MAGIC = "KETCHSNP".getBytes(StandardCharsets.US_ASCII);
    static final int FOOTER_BYTES = 8 + 8;

    private PortableSnapshot() {}

    /**
     * Writes the body (without the hash) to {@code file}, replacing it.
     *
     * @return the body length, a multiple of {@value #ALIGN}
     */
    public static long writeBody(Path file, SnapshotMeta meta, Iterator<SnapshotRecord> records) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file);
        SnapshotWriter.write(file, meta, records);
        long snapBytes = Files.size(file);
        long padding = (ALIGN - (snapBytes + FOOTER_BYTES) % ALIGN) % ALIGN;
        ByteBuffer tail = ByteBuffer.allocate((int) padding + FOOTER_BYTES);
        tail.position((int) padding);
        tail.putLong(snapBytes).put(FOOTER_MAGIC).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            while (tail.hasRemaining()) {
                ch.write(tail);
            }
        }
        return snapBytes + padding + FOOTER_BYTES;
    }

    /** A SHA-256 digest, as the server computes it over the body it streams. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Verifies a saved file (length, SHA-256, footer) and copies the snapshot file inside it
     * to {@code out}, which can then be opened with {@link SnapshotReader#open} (which checks
     * the snapshot's own CRC).
     *
     * @throws CorruptSnapshotException if the file is not a complete, intact Ketch snapshot
     */
    public static void extract(Path saved, Path out) throws IOException {
        long size = Files.size(saved);
        if (size % ALIGN != SHA256_BYTES || size < ALIGN + SHA256_BYTES) {
            throw new CorruptSnapshotException(saved, "size " + size + " is not a Ketch snapshot"
                    + " (a multiple of 512 bytes plus a 32-byte SHA-256)");
        }
        long body = size - SHA256_BYTES;
        MessageDigest sha = sha256();
        byte[] footer = new byte[FOOTER_BYTES];
        byte[] hash = new byte[SHA256_BYTES];
        try (InputStream in = Files.newInputStream(saved)) {
            byte[] buf = new byte[1 << 16];
            long left = body;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new CorruptSnapshotException(saved, "truncated");
                }
                sha.update(buf, 0, n);
                left -= n;
            }
            in.readNBytes(hash, 0, SHA256_BYTES);
        }
        if (!MessageDigest.isEqual(sha.digest(), hash)) {
            throw new CorruptSnapshotException(saved, "SHA-256 mismatch");
        }
        try (FileChannel ch = FileChannel.open(saved, StandardOpenOption.READ)) {
            ByteBuffer f = ByteBuffer.wrap(footer);
            while (f.hasRemaining()) {
                if (ch.read(f, body - FOOTER_BYTES + f.position()) < 0) {
                    throw new CorruptSnapshotException(saved, "truncated footer");
                }
            }
        }
        ByteBuffer fb = ByteBuffer.wrap(footer);
        long snapBytes = fb.getLong();
        if (!Arrays.equals(Arrays.copyOfRange(footer, 8, FOOTER_BYTES), FOOTER_MAGIC)
                || snapBytes <= 0 || snapBytes > body - FOOTER_BYTES) {
            throw new CorruptSnapshotException(saved, "not a Ketch snapshot (bad footer)");
        }
        try (InputStream in = Files.newInputStream(saved);
             OutputStream os = Files.newOutputStream(out)) {
            byte[] buf = new byte[1 << 16];
            long left = snapBytes;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new CorruptSnapshotException(saved, "truncated");
                }
                os.write(buf, 0, n);
                left -= n;
            }
        }
    }
}
