package io.ketch.snap;

/** The layout of a snapshot file; see {@code package-info.java}. Integers are big-endian (Data streams). */
final class SnapshotFormat {
    /** "KSNP". */
    static final int MAGIC = 0x4b534e50;
    static final int VERSION = 1;

    static final int RECORD_TAG = 1;
    static final int END_TAG = 0;

    /** int64 record count, int32 CRC32C. */
    static final int TRAILER_BYTES = 12;
    static final int CRC_BYTES = 4;

    /** magic, version, index, term, extra length, end tag, trailer: the size of an empty snapshot. */
    static final int MIN_FILE_BYTES = 4 + 4 + 8 + 8 + 4 + 1 + TRAILER_BYTES;

    static final int IO_BUFFER_BYTES = 1 << 16;

    private SnapshotFormat() {}
}
