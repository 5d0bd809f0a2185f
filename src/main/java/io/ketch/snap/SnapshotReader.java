package io.ketch.snap;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.zip.CRC32C;

/**
 * Reads a snapshot file whose whole-file checksum has already been verified, streaming its records.
 *
 * <p>Because {@link #open} checks the trailer's CRC32C over the entire file before returning, every record
 * the iterator yields comes from a file known to be intact. Iteration errors surface as
 * {@link UncheckedIOException} (wrapping a {@link CorruptSnapshotException} if the content is inconsistent).
 * Not thread-safe.
 */
public final class SnapshotReader implements Closeable, Iterator<SnapshotRecord> {
    private final Path path;
    private final SnapshotMeta meta;
    private final long recordCount;
    private final long fileBytes;
    private final DataInputStream in;
    private SnapshotRecord next;
    private long read;
    private boolean finished;

    private SnapshotReader(Path path, SnapshotMeta meta, long recordCount, long fileBytes, DataInputStream in) {
        this.path = path;
        this.meta = meta;
        this.recordCount = recordCount;
        this.fileBytes = fileBytes;
        this.in = in;
    }

    /**
     * Verifies the whole file (one streaming pass), then opens it for iteration.
     *
     * @throws CorruptSnapshotException if the checksum, magic, version or structure is wrong
     */
    public static SnapshotReader open(Path file) throws IOException {
        long fileBytes;
        long recordCount;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            fileBytes = channel.size();
            recordCount = verifyChecksum(channel, file, fileBytes);
        }
        DataInputStream in = new DataInputStream(
                new BufferedInputStream(Files.newInputStream(file), SnapshotFormat.IO_BUFFER_BYTES));
        try {
            SnapshotMeta meta = readHeader(in, file, fileBytes);
            return new SnapshotReader(file, meta, recordCount, fileBytes, in);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Checks the trailing CRC32C against everything before it; returns the record count from the trailer. */
    private static long verifyChecksum(FileChannel channel, Path file, long fileBytes) throws IOException {
        if (fileBytes < SnapshotFormat.MIN_FILE_BYTES) {
            throw new CorruptSnapshotException(file, "only " + fileBytes + " bytes");
        }
        long covered = fileBytes - SnapshotFormat.CRC_BYTES;
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(SnapshotFormat.IO_BUFFER_BYTES);
        for (long position = 0; position < covered; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), covered - position));
            int n = channel.read(chunk, position);
            if (n < 0) {
                throw new EOFException("snapshot " + file + " shrank while being verified");
            }
            chunk.flip();
            crc.update(chunk);
            position += n;
        }
        ByteBuffer trailer = ByteBuffer.allocate(SnapshotFormat.TRAILER_BYTES);
        long trailerAt = fileBytes - SnapshotFormat.TRAILER_BYTES;
        while (trailer.hasRemaining()) {
            if (channel.read(trailer, trailerAt + trailer.position()) < 0) {
                throw new EOFException("snapshot " + file + " shrank while being verified");
            }
        }
        long count = trailer.getLong(0);
        int stored = trailer.getInt(8);
        if (stored != (int) crc.getValue()) {
            throw new CorruptSnapshotException(file, "checksum mismatch");
        }
        if (count < 0) {
            throw new CorruptSnapshotException(file, "negative record count");
        }
        return count;
    }

    /** Reads the header at the start of {@code in}; does not verify the checksum. */
    static SnapshotMeta readHeader(DataInputStream in, Path file, long fileBytes) throws IOException {
        try {
            if (in.readInt() != SnapshotFormat.MAGIC) {
                throw new CorruptSnapshotException(file, "not a Ketch snapshot (bad magic)");
            }
            int version = in.readInt();
            if (version != SnapshotFormat.VERSION) {
                throw new CorruptSnapshotException(file, "unsupported version " + version);
            }
            long index = in.readLong();
            long term = in.readLong();
            byte[] extra = readBytes(in, file, fileBytes);
            return new SnapshotMeta(index, term, extra);
        } catch (EOFException e) {
            throw new CorruptSnapshotException(file, "header cut short");
        }
    }

    private static byte[] readBytes(DataInputStream in, Path file, long fileBytes) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > fileBytes) {
            throw new CorruptSnapshotException(file, "field length " + length + " out of range");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    public SnapshotMeta meta() {
        return meta;
    }

    public Path path() {
        return path;
    }

    /** The number of records, from the verified trailer. */
    public long recordCount() {
        return recordCount;
    }

    @Override
    public boolean hasNext() {
        if (next == null && !finished) {
            try {
                next = readNext();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return next != null;
    }

    @Override
    public SnapshotRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        SnapshotRecord r = next;
        next = null;
        return r;
    }

    private SnapshotRecord readNext() throws IOException {
        try {
            int tag = in.readUnsignedByte();
            if (tag == SnapshotFormat.RECORD_TAG) {
                byte namespace = in.readByte();
                byte[] key = readBytes(in, path, fileBytes);
                byte[] value = readBytes(in, path, fileBytes);
                read++;
                return new SnapshotRecord(namespace, key, value);
            }
            if (tag != SnapshotFormat.END_TAG) {
                throw new CorruptSnapshotException(path, "unknown tag " + tag + " after record " + read);
            }
            long count = in.readLong();
            in.readInt(); // the checksum, verified in open()
            if (count != read || in.read() != -1) {
                throw new CorruptSnapshotException(path, "trailer does not match the records");
            }
            finished = true;
            return null;
        } catch (EOFException e) {
            throw new CorruptSnapshotException(path, "ends inside record " + read);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
