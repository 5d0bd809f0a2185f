package io.ketch.wal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Encodes records back to back into one reusable direct buffer, so that a batch reaches the file in a
 * single write without per-entry allocation. Encoded records occupy {@code [0, size())}; the owner reads
 * them with absolute gets and writes them out, then calls {@link #clear()}.
 */
final class RecordBuffer {
    private final CRC32C crc = new CRC32C();
    private ByteBuffer buf;

    RecordBuffer(int initialCapacity) {
        buf = ByteBuffer.allocateDirect(initialCapacity).order(WalFormat.ORDER);
    }

    int size() {
        return buf.position();
    }

    int capacity() {
        return buf.capacity();
    }

    /** The underlying buffer; valid until the next put (which may replace it when growing). */
    ByteBuffer raw() {
        return buf;
    }

    void clear() {
        buf.clear();
    }

    void putEntry(WalEntry e) {
        byte[] data = e.data();
        int start = begin(WalFormat.ENTRY, WalFormat.ENTRY_FIXED_BYTES + data.length);
        buf.putLong(e.index()).putLong(e.term()).putInt(e.type()).put(data);
        seal(start);
    }

    void putHardState(HardState hs) {
        int start = begin(WalFormat.HARD_STATE, WalFormat.HARD_STATE_BYTES);
        buf.putLong(hs.term()).putLong(hs.vote()).putLong(hs.commit());
        seal(start);
    }

    void putSnapshot(SnapshotMarker m) {
        int start = begin(WalFormat.SNAPSHOT, WalFormat.SNAPSHOT_BYTES);
        buf.putLong(m.index()).putLong(m.term());
        seal(start);
    }

    private int begin(byte type, int payloadBytes) {
        ensureRoom(WalFormat.RECORD_HEADER_BYTES + payloadBytes);
        int start = buf.position();
        buf.putInt(payloadBytes).putInt(0).put(type);
        return start;
    }

    /** Fills in the CRC of (type + payload) of the record starting at {@code start}. */
    private void seal(int start) {
        int end = buf.position();
        buf.position(start + 8).limit(end); // CRC32C.update(ByteBuffer) consumes position..limit
        crc.reset();
        crc.update(buf);
        buf.limit(buf.capacity()).position(end);
        buf.putInt(start + 4, (int) crc.getValue());
    }

    private void ensureRoom(int bytes) {
        if (buf.capacity() - buf.position() >= bytes) {
            return;
        }
        long wanted = Math.max(2L * buf.capacity(), (long) buf.position() + bytes);
        if (wanted > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("WAL batch too large: " + wanted + " bytes");
        }
        ByteBuffer bigger = ByteBuffer.allocateDirect((int) wanted).order(WalFormat.ORDER);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
    }
}
