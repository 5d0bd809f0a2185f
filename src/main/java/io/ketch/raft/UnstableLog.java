package io.ketch.raft;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The tail of the log that is not yet known to be persisted: entries (and possibly a
 * snapshot received from the leader) waiting to be handed to the driver in a {@link Ready}.
 *
 * <p>Invariants: {@code entries.get(i)} has index {@code offset + i}; if a snapshot is
 * present, {@code offset == snapshot index + 1} or entries were appended after it.
 */
final class UnstableLog {
    static final long ABSENT = -1;

    private Snapshot snapshot;
    private List<Entry> entries = new ArrayList<>();
    private long offset;

    UnstableLog(long offset) {
        this.offset = offset;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    List<Entry> entries() {
        return entries;
    }

    long offset() {
        return offset;
    }

    /** The first index if a snapshot is pending, else ABSENT (the storage knows it). */
    long maybeFirstIndex() {
        return snapshot != null ? snapshot.getMetadata().getIndex() + 1 : ABSENT;
    }

    long maybeLastIndex() {
        if (!entries.isEmpty()) {
            return offset + entries.size() - 1;
        }
        return snapshot != null ? snapshot.getMetadata().getIndex() : ABSENT;
    }

    long maybeTerm(long index) {
        if (index < offset) {
            if (snapshot != null && snapshot.getMetadata().getIndex() == index) {
                return snapshot.getMetadata().getTerm();
            }
            return ABSENT;
        }
        long last = maybeLastIndex();
        if (last == ABSENT || index > last) {
            return ABSENT;
        }
        return entries.get((int) (index - offset)).getTerm();
    }

    /**
     * The driver persisted entries up to index (whose term was term). The term check makes a
     * late acknowledgement harmless when that entry has since been replaced by a conflicting one.
     */
    void stableTo(long index, long term) {
        long t = maybeTerm(index);
        if (t == ABSENT) {
            return;
        }
        if (t == term && index >= offset) {
            entries = new ArrayList<>(entries.subList((int) (index + 1 - offset), entries.size()));
            offset = index + 1;
        }
    }

    void stableSnapTo(long index) {
        if (snapshot != null && snapshot.getMetadata().getIndex() == index) {
            snapshot = null;
        }
    }

    void restore(Snapshot s) {
        offset = s.getMetadata().getIndex() + 1;
        entries = new ArrayList<>();
        snapshot = s;
    }

    /** Appends newEntries, first dropping every entry at or after the first new index. */
    void truncateAndAppend(List<Entry> newEntries) {
        long after = newEntries.get(0).getIndex();
        if (after == offset + entries.size()) {
            entries.addAll(newEntries);
        } else if (after <= offset) {
            // The new entries replace everything unstable, and also persisted entries from
            // `after` on; the driver's storage truncates those when it appends.
            offset = after;
            entries = new ArrayList<>(newEntries);
        } else {
            List<Entry> kept = new ArrayList<>(slice(offset, after));
            kept.addAll(newEntries);
            entries = kept;
        }
    }

    List<Entry> slice(long lo, long hi) {
        long upper = offset + entries.size();
        if (lo > hi || lo < offset || hi > upper) {
            throw new IllegalStateException("unstable.slice[" + lo + "," + hi + ") out of bound [" + offset + "," + upper + "]");
        }
        return entries.subList((int) (lo - offset), (int) (hi - offset));
    }
}
