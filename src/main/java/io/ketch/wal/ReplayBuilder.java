package io.ketch.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Turns the records of the WAL, in write order, into the state Raft restarts from.
 *
 * <p>Invariant: {@code entries} is contiguous ({@code entries.get(k).index() == entries.get(0).index() + k}).
 * An entry at an index already present overwrites it and drops everything after it (Raft's log truncation).
 * A snapshot marker drops the entries it covers; entries after it must then continue from its index.
 */
final class ReplayBuilder implements SegmentReader.Visitor {
    private final ArrayList<WalEntry> entries = new ArrayList<>();
    private SnapshotMarker snapshot = SnapshotMarker.ZERO;
    private HardState hardState = HardState.EMPTY;

    @Override
    public void entry(WalEntry entry, Path file, long offset) throws IOException {
        if (!entries.isEmpty()) {
            long first = entries.getFirst().index();
            long last = entries.getLast().index();
            if (entry.index() <= first) {
                entries.clear();
            } else if (entry.index() <= last) {
                entries.subList((int) (entry.index() - first), entries.size()).clear();
            } else if (entry.index() != last + 1) {
                throw new IOException("WAL gap in " + file + " at offset " + offset + ": entry " + entry.index()
                        + " follows entry " + last);
            }
        }
        // With no entries yet, any start is accepted: older segments may have been released; build() checks
        // that the log still reaches back to the snapshot.
        entries.add(entry);
    }

    @Override
    public void hardState(HardState hardState) {
        this.hardState = hardState;
    }

    @Override
    public void snapshot(SnapshotMarker marker) {
        snapshot = marker;
        dropCoveredBy(marker.index());
    }

    private void dropCoveredBy(long index) {
        if (entries.isEmpty() || entries.getFirst().index() > index) {
            return;
        }
        long covered = index - entries.getFirst().index() + 1;
        if (covered >= entries.size()) {
            entries.clear();
        } else {
            entries.subList(0, (int) covered).clear();
        }
    }

    WalReplay build() throws IOException {
        dropCoveredBy(snapshot.index());
        if (!entries.isEmpty() && entries.getFirst().index() != snapshot.index() + 1) {
            throw new IOException("WAL is missing entries " + (snapshot.index() + 1) + ".." + (entries.getFirst().index() - 1)
                    + ": the newest snapshot marker is at index " + snapshot.index()
                    + " but the oldest entry after it is " + entries.getFirst().index());
        }
        List<WalEntry> view = Collections.unmodifiableList(entries);
        return new WalReplay(snapshot, hardState, view);
    }
}
