package io.ketch.wal;

import static io.ketch.wal.WalFixtures.concat;
import static io.ketch.wal.WalFixtures.entries;
import static io.ketch.wal.WalFixtures.reopen;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raft log truncation: a write at an existing index replaces it and drops everything after it. */
class WalOverwriteTest {
    private static final long SEGMENT = 64 * 1024;

    @TempDir
    Path tmp;

    @Test
    void overwriteDropsLaterEntries() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.append(entries(1, 10, 1), null);
            wal.sync();
            wal.append(entries(6, 7, 2), null);
            assertEquals(7, wal.lastIndex());
        }
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            assertEquals(concat(entries(1, 5, 1), entries(6, 7, 2)), wal.replay().entries());
            assertEquals(7, wal.lastIndex());
        }
    }

    @Test
    void latestWriteWinsAcrossRepeatedOverwritesAndReopens() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.append(entries(1, 10, 1), null);
            wal.append(entries(8, 9, 2), null); // same buffered batch as the entries it replaces
        }
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            assertEquals(concat(entries(1, 7, 1), entries(8, 9, 2)), wal.replay().entries());
            wal.append(entries(5, 5, 3), null);
            wal.append(entries(6, 8, 3), null);
        }
        assertEquals(concat(entries(1, 4, 1), entries(5, 8, 3)), reopen(tmp, SEGMENT).entries());
    }

    @Test
    void overwriteOfTheFirstEntryReplacesTheWholeLog() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.append(entries(1, 5, 1), null);
            wal.append(entries(1, 2, 2), null);
        }
        assertEquals(entries(1, 2, 2), reopen(tmp, SEGMENT).entries());
    }

    @Test
    void overwriteReachesBackIntoEarlierSegments() throws IOException {
        long small = 4096;
        try (Wal wal = Wal.open(tmp, small)) {
            wal.append(entries(1, 200, 1), null);
            wal.sync();
            wal.append(entries(20, 150, 2), new HardState(2, 1, 19));
        }
        assertEquals(true, WalFixtures.segments(tmp).size() > 5, "the test needs entries spread over segments");
        WalReplay replay = reopen(tmp, small);
        assertEquals(concat(entries(1, 19, 1), entries(20, 150, 2)), replay.entries());
        assertEquals(new HardState(2, 1, 19), replay.hardState());
    }

    @Test
    void releaseAfterAnOverwriteKeepsTheLiveEntries() throws IOException {
        long small = 4096;
        try (Wal wal = Wal.open(tmp, small)) {
            wal.append(entries(1, 100, 1), null);
            wal.sync();
            wal.append(entries(40, 160, 2), null);
            wal.saveSnapshotMarker(new SnapshotMarker(120, 2));
            wal.releaseTo(120);
        }
        WalReplay replay = reopen(tmp, small);
        assertEquals(new SnapshotMarker(120, 2), replay.snapshot());
        assertEquals(entries(121, 160, 2), replay.entries());
    }

    @Test
    void replayBuilderAppliesOverwriteAndMarkerRulesInOrder() throws IOException {
        ReplayBuilder b = new ReplayBuilder();
        Path f = tmp.resolve("x");
        for (WalEntry e : entries(1, 6, 1)) {
            b.entry(e, f, 0);
        }
        b.snapshot(new SnapshotMarker(3, 1));
        for (WalEntry e : entries(5, 8, 2)) {
            b.entry(e, f, 0);
        }
        WalReplay replay = b.build();
        assertEquals(new SnapshotMarker(3, 1), replay.snapshot());
        assertEquals(List.of(entries(4, 4, 1).getFirst(), entries(5, 5, 2).getFirst(), entries(6, 6, 2).getFirst(),
                entries(7, 7, 2).getFirst(), entries(8, 8, 2).getFirst()), replay.entries());
    }
}
