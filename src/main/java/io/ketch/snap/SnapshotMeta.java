package io.ketch.snap;

import java.util.Arrays;

/**
 * What a snapshot file says about itself.
 *
 * @param index the Raft index the state machine had applied
 * @param term the term of the entry at {@code index}
 * @param extra opaque bytes stored with the snapshot (e.g. cluster membership); {@code null} is stored as empty
 */
public record SnapshotMeta(long index, long term, byte[] extra) {
    private static final byte[] NONE = new byte[0];

    public SnapshotMeta {
        if (extra == null) {
            extra = NONE;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SnapshotMeta m && index == m.index && term == m.term && Arrays.equals(extra, m.extra);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Long.hashCode(term);
    }

    @Override
    public String toString() {
        return "SnapshotMeta[index=" + index + ", term=" + term + ", extra=" + extra.length + " bytes]";
    }
}
