package io.ketch.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The on-disk layout of WAL segments; see {@code package-info.java} for the full description.
 * All integers are little-endian.
 */
final class WalFormat {
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** The bytes "KWAL" read as a little-endian int. */
    static final int SEGMENT_MAGIC = 0x4c41574b;
    static final int SEGMENT_VERSION = 1;
    static final int SEGMENT_HEADER_BYTES = 8;

    /** int32 payload length, int32 CRC32C of (type byte + payload), byte type. */
    static final int RECORD_HEADER_BYTES = 9;

    // Type 0 is deliberately unused: a run of zeros (preallocated space) must never parse as a record.
    static final byte ENTRY = 1;
    static final byte HARD_STATE = 2;
    static final byte SNAPSHOT = 3;

    /** index, term, entry type; followed by the entry data. */
    static final int ENTRY_FIXED_BYTES = 8 + 8 + 4;
    static final int HARD_STATE_BYTES = 8 + 8 + 8;
    static final int SNAPSHOT_BYTES = 8 + 8;

    /** Far above any Raft entry we accept (requests are limited to a few MiB); bounds buffer growth. */
    static final int MAX_ENTRY_DATA_BYTES = 256 << 20;

    private WalFormat() {}

    static int entryRecordBytes(WalEntry e) {
        return RECORD_HEADER_BYTES + ENTRY_FIXED_BYTES + e.data().length;
    }

    static ByteBuffer segmentHeader() {
        return ByteBuffer.allocate(SEGMENT_HEADER_BYTES).order(ORDER)
                .putInt(SEGMENT_MAGIC).putInt(SEGMENT_VERSION).flip();
    }

    static boolean isSegmentHeader(ByteBuffer buf, int at) {
        return buf.getInt(at) == SEGMENT_MAGIC && buf.getInt(at + 4) == SEGMENT_VERSION;
    }
}
