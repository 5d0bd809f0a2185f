package io.ketch.wal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Decodes the records of one segment file, in order, with a buffered sequential read.
 *
 * <p>A record is bad if its header is cut short, its length runs past the end of the file, its CRC does not
 * match, its type is unknown, or its payload has the wrong size for its type; a zeroed header (preallocated
 * space) also ends the readable data. In the segment being written (the last one) that is where a crash
 * left the tail, so reading simply stops there. Every other segment was sealed (cut to its last record and
 * fsynced) before its successor existed, so anything but a clean end of file there is real corruption.
 */
final class SegmentReader {
    private static final System.Logger LOG = System.getLogger(SegmentReader.class.getName());

    interface Visitor {
        void entry(WalEntry entry, Path file, long offset) throws IOException;

        void hardState(HardState hardState);

        void snapshot(SnapshotMarker marker);
    }

    private final Path file;
    private final FileChannel channel;
    private final long size;
    private final CRC32C crc = new CRC32C();
    /** Holds the file bytes {@code [bufferStart, bufferStart + buffer.limit())}. */
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(WalFormat.ORDER).limit(0);
    private long bufferStart;

    private SegmentReader(Path file, FileChannel channel) throws IOException {
        this.file = file;
        this.channel = channel;
        this.size = channel.size();
    }

    /**
     * Feeds every good record of {@code file} to {@code visitor}.
     *
     * @param last whether this is the segment being written, whose bad tail is a torn write, not corruption
     * @return the offset just past the last good record
     */
    static long read(Path file, boolean last, Visitor visitor) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new SegmentReader(file, channel).readAll(last, visitor);
        }
    }

    private long readAll(boolean last, Visitor visitor) throws IOException {
        if (size < WalFormat.SEGMENT_HEADER_BYTES) {
            throw new IOException("WAL segment " + file + " is shorter than its header (" + size + " bytes)");
        }
        fill(0, WalFormat.SEGMENT_HEADER_BYTES);
        if (!WalFormat.isSegmentHeader(buffer, 0)) {
            throw new IOException("WAL segment " + file + " has an unknown header (not a Ketch WAL v1 segment)");
        }
        long offset = WalFormat.SEGMENT_HEADER_BYTES;
        while (offset < size) {
            String problem = readRecord(offset, visitor);
            if (problem != null) {
                if (!last) {
                    throw new IOException("corrupt WAL segment " + file + " at offset " + offset + ": " + problem);
                }
                if (!problem.equals(ZEROED)) {
                    LOG.log(System.Logger.Level.WARNING, "WAL segment {0}: discarding torn tail at offset {1} ({2})",
                            file, Long.toString(offset), problem);
                }
                return offset;
            }
            offset = bufferStart + buffer.position();
        }
        return offset;
    }

    private static final String ZEROED = "zeroed space";

    /** Decodes the record at {@code offset}; returns why it is bad, or null after handing it to the visitor. */
    private String readRecord(long offset, Visitor visitor) throws IOException {
        long remaining = size - offset;
        if (remaining < WalFormat.RECORD_HEADER_BYTES) {
            return "record header cut short";
        }
        int at = fill(offset, WalFormat.RECORD_HEADER_BYTES);
        int length = buffer.getInt(at);
        int storedCrc = buffer.getInt(at + 4);
        byte type = buffer.get(at + 8);
        if (length == 0 && storedCrc == 0 && type == 0) {
            return ZEROED;
        }
        if (length < 0 || length > remaining - WalFormat.RECORD_HEADER_BYTES) {
            return "record length " + length + " runs past the end of the file";
        }
        at = fill(offset, WalFormat.RECORD_HEADER_BYTES + length);
        crc.reset();
        crc.update(buffer.array(), buffer.arrayOffset() + at + 8, 1 + length);
        if ((int) crc.getValue() != storedCrc) {
            return "checksum mismatch";
        }
        int payload = at + WalFormat.RECORD_HEADER_BYTES;
        switch (type) {
            case WalFormat.ENTRY -> {
                if (length < WalFormat.ENTRY_FIXED_BYTES) {
                    return "entry record too short";
                }
                byte[] data = new byte[length - WalFormat.ENTRY_FIXED_BYTES];
                buffer.get(payload + WalFormat.ENTRY_FIXED_BYTES, data);
                WalEntry entry = new WalEntry(
                        buffer.getLong(payload), buffer.getLong(payload + 8), buffer.getInt(payload + 16), data);
                visitor.entry(entry, file, offset);
            }
            case WalFormat.HARD_STATE -> {
                if (length != WalFormat.HARD_STATE_BYTES) {
                    return "hard state record has " + length + " bytes";
                }
                visitor.hardState(new HardState(
                        buffer.getLong(payload), buffer.getLong(payload + 8), buffer.getLong(payload + 16)));
            }
            case WalFormat.SNAPSHOT -> {
                if (length != WalFormat.SNAPSHOT_BYTES) {
                    return "snapshot record has " + length + " bytes";
                }
                visitor.snapshot(new SnapshotMarker(buffer.getLong(payload), buffer.getLong(payload + 8)));
            }
            default -> {
                return "unknown record type " + type;
            }
        }
        buffer.position(at + WalFormat.RECORD_HEADER_BYTES + length);
        return null;
    }

    /**
     * Makes the file bytes {@code [offset, offset + bytes)} present in the buffer (the caller has checked they
     * exist in the file) and returns the buffer index of {@code offset}.
     */
    private int fill(long offset, int bytes) throws IOException {
        long bufferEnd = bufferStart + buffer.limit();
        if (offset >= bufferStart && offset + bytes <= bufferEnd) {
            return (int) (offset - bufferStart);
        }
        int kept = offset >= bufferStart && offset < bufferEnd ? (int) (bufferEnd - offset) : 0;
        // Keep the already-read bytes from offset on, at the front of the buffer, and read after them.
        if (bytes > buffer.capacity()) {
            ByteBuffer bigger = ByteBuffer.allocate(bytes).order(WalFormat.ORDER);
            if (kept > 0) {
                bigger.put(buffer.position((int) (offset - bufferStart)));
            }
            buffer = bigger;
        } else if (kept > 0) {
            buffer.position((int) (offset - bufferStart)).compact();
        } else {
            buffer.clear();
        }
        bufferStart = offset;
        long readFrom = offset + kept;
        while (buffer.position() < bytes) {
            int n = channel.read(buffer, readFrom);
            if (n < 0) {
                throw new EOFException("WAL segment " + file + " shrank while being read");
            }
            readFrom += n;
        }
        buffer.limit(buffer.position()).position(0);
        return 0;
    }
}
