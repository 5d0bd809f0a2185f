package io.ketch.wal;

import java.util.Arrays;

/**
 * One Raft log entry as the WAL stores it.
 *
 * @param type 0 = normal, 1 = conf change; opaque to the WAL, stored as written
 * @param data the payload; {@code null} is stored as empty. The array is not copied: callers must not
 *     mutate it after handing it to the WAL.
 */
public record WalEntry(long index, long term, int type, byte[] data) {
    private static final byte[] NO_DATA = new byte[0];

    public WalEntry {
        if (data == null) {
            data = NO_DATA;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WalEntry e
                && index == e.index && term == e.term && type == e.type && Arrays.equals(data, e.data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "WalEntry[index=" + index + ", term=" + term + ", type=" + type + ", data=" + data.length + " bytes]";
    }
}
