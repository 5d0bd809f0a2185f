package io.ketch.mvcc;

/**
 * A point in the history of the key space. Every mutating write transaction gets one new
 * {@code main} revision; the changes inside it are numbered by {@code sub} (0, 1, 2, ...).
 *
 * <p>In the backend a revision is the record key, in etcd's exact layout so that hashes can
 * be compared with etcd's: 8 bytes big-endian {@code main}, the byte {@code '_'}, 8 bytes
 * big-endian {@code sub}; a tombstone record carries an 18th byte {@code 't'}. Because both
 * numbers are non-negative, unsigned byte order of the encoding equals revision order.
 */
public record Revision(long main, long sub) implements Comparable<Revision> {

    /** Length of an encoded revision. */
    public static final int BYTES_LEN = 17;
    /** Length of an encoded revision carrying the tombstone mark. */
    public static final int MARKED_BYTES_LEN = BYTES_LEN + 1;
    /** The mark appended to the record key of a deletion. */
    public static final byte TOMBSTONE_MARK = 't';

    public static final Revision ZERO = new Revision(0, 0);

    public boolean greaterThan(Revision o) {
        return greaterThan(main, sub, o.main, o.sub);
    }

    static boolean greaterThan(long aMain, long aSub, long bMain, long bSub) {
        if (aMain != bMain) {
            return aMain > bMain;
        }
        return aSub > bSub;
    }

    @Override
    public int compareTo(Revision o) {
        int c = Long.compare(main, o.main);
        return c != 0 ? c : Long.compare(sub, o.sub);
    }

    /** The 17-byte backend key of this revision. */
    public byte[] toBytes() {
        byte[] b = new byte[BYTES_LEN];
        write(main, sub, b);
        return b;
    }

    /** The 18-byte backend key of a tombstone at this revision. */
    public byte[] toTombstoneBytes() {
        return toBytes(main, sub, true);
    }

    static byte[] toBytes(long main, long sub, boolean tombstone) {
        byte[] b = new byte[tombstone ? MARKED_BYTES_LEN : BYTES_LEN];
        write(main, sub, b);
        if (tombstone) {
            b[BYTES_LEN] = TOMBSTONE_MARK;
        }
        return b;
    }

    /** Writes the 17-byte encoding of (main, sub) at the start of {@code dst}. */
    public static void write(long main, long sub, byte[] dst) {
        putLong(dst, 0, main);
        dst[8] = '_';
        putLong(dst, 9, sub);
    }

    /** Decodes the revision at the start of a (possibly tombstone-marked) backend key. */
    public static Revision fromBytes(byte[] b) {
        return new Revision(mainOf(b), subOf(b));
    }

    static long mainOf(byte[] b) {
        return getLong(b, 0);
    }

    static long subOf(byte[] b) {
        return getLong(b, 9);
    }

    /** True if the backend key marks a deletion. */
    public static boolean isTombstone(byte[] b) {
        return b.length == MARKED_BYTES_LEN && b[BYTES_LEN] == TOMBSTONE_MARK;
    }

    static void putLong(byte[] b, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            b[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static long getLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    @Override
    public String toString() {
        return main + "." + sub;
    }
}
