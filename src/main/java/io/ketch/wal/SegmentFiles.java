package io.ketch.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** File-system operations on segment files that must happen in a crash-safe order. */
final class SegmentFiles {
    /** Shared source of zeros; read-only, so concurrent duplicates cannot disturb each other. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    private SegmentFiles() {}

    /**
     * Creates {@code file} holding a segment header followed by zeros up to {@code bytes}, and makes it durable.
     * Writing real zeros (rather than leaving a sparse file) means a later fdatasync after an append inside
     * the file has neither a size change nor a block allocation to persist: only the data.
     */
    static void createPreallocated(Path file, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, WalFormat.segmentHeader(), 0);
            writeZeros(ch, WalFormat.SEGMENT_HEADER_BYTES, bytes);
            ch.force(true);
        }
    }

    /** Writes zeros over {@code [from, to)}. */
    static void writeZeros(FileChannel ch, long from, long to) throws IOException {
        long position = from;
        while (position < to) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), to - position));
            position += writeFully(ch, zeros, position);
        }
    }

    /**
     * Makes everything in the segment past {@code tail} zero, and the file at least {@code minBytes} long,
     * returning whether anything changed (the caller then fsyncs). Bytes past the tail are remains of a write
     * that never completed; they must go, or a later replay could read a stale record that happens to start
     * exactly where new appends end. Only non-zero chunks are rewritten, so a cleanly closed segment costs a
     * read and keeps its real (non-sparse) preallocation.
     */
    static boolean zeroPastTail(FileChannel ch, long tail, long minBytes) throws IOException {
        boolean changed = false;
        long size = ch.size();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        byte[] zeros = new byte[chunk.capacity()];
        for (long position = tail; position < size; ) {
            chunk.clear().limit((int) Math.min(chunk.capacity(), size - position));
            int n = ch.read(chunk, position);
            if (n <= 0) {
                break;
            }
            if (java.util.Arrays.mismatch(chunk.array(), 0, n, zeros, 0, n) >= 0) {
                writeZeros(ch, position, position + n);
                changed = true;
            }
            position += n;
        }
        if (size < minBytes) {
            writeZeros(ch, size, minBytes);
            changed = true;
        }
        return changed;
    }

    static long writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long start = position;
        while (buf.hasRemaining()) {
            position += ch.write(buf, position);
        }
        return position - start;
    }

    /** Makes creations, renames and deletions of files in {@code dir} durable. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Opens a segment for writing, holding an exclusive lock so that two processes never append to one WAL. */
    static FileChannel openLocked(Path segment) throws IOException {
        FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new IOException("WAL segment " + segment + " is locked by another process");
            }
            return ch; // closing the channel releases the lock
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new IOException("WAL segment " + segment + " is already open in this process", e);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Removes half-prepared segments left by a crash; they never hold log data. */
    static void deleteTemporaryFiles(Path dir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.tmp")) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }
}
