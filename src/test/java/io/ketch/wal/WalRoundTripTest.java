package io.ketch.wal;

import static io.ketch.wal.WalFixtures.entries;
import static io.ketch.wal.WalFixtures.entry;
import static io.ketch.wal.WalFixtures.reopen;
import static io.ketch.wal.WalFixtures.segments;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalRoundTripTest {
    private static final long SEGMENT = 64 * 1024;

    @TempDir
    Path tmp;

    @Test
    void emptyDirectoryIsCreatedAndReplaysNothing() throws IOException {
        Path dir = tmp.resolve("member/wal");
        try (Wal wal = Wal.open(dir, SEGMENT)) {
            WalReplay replay = wal.replay();
            assertEquals(SnapshotMarker.ZERO, replay.snapshot());
            assertEquals(HardState.EMPTY, replay.hardState());
            assertEquals(List.of(), replay.entries());
            assertEquals(0, wal.lastIndex());
        }
        List<Path> files = segments(dir);
        assertEquals(List.of("0000000000000000-0000000000000001.wal"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        assertEquals(SEGMENT, Files.size(files.getFirst()), "segment is preallocated");
        assertEquals(List.of(), reopen(dir, SEGMENT).entries());
    }

    @Test
    void entriesHardStateAndMarkerSurviveCloseAndOpen() throws IOException {
        HardState hs = new HardState(3, 2, 7);
        List<WalEntry> written = List.of(
                new WalEntry(1, 1, 1, new byte[] {1, 2, 3}),
                new WalEntry(2, 1, 0, new byte[0]),
                new WalEntry(3, 2, 0, null),
                entry(4, 3, 5000));
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.replay();
            wal.append(written.subList(0, 2), new HardState(1, 1, 1));
            wal.append(written.subList(2, 4), hs);
            assertEquals(4, wal.lastIndex());
        }
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            WalReplay replay = wal.replay();
            assertEquals(written, replay.entries());
            assertEquals(hs, replay.hardState());
            assertEquals(SnapshotMarker.ZERO, replay.snapshot());
            assertEquals(4, wal.lastIndex());
            wal.saveSnapshotMarker(new SnapshotMarker(2, 1));
            assertEquals(4, wal.lastIndex(), "a marker below the last entry does not move lastIndex");
        }
        WalReplay replay = reopen(tmp, SEGMENT);
        assertEquals(new SnapshotMarker(2, 1), replay.snapshot());
        assertEquals(written.subList(2, 4), replay.entries(), "entries covered by the marker are dropped");
        assertEquals(hs, replay.hardState());
    }

    @Test
    void reopeningContinuesInTheSameSegment() throws IOException {
        for (int round = 0; round < 5; round++) {
            try (Wal wal = Wal.open(tmp, SEGMENT)) {
                WalReplay replay = wal.replay();
                assertEquals(entries(1, round * 3L, 1), replay.entries());
                wal.append(entries(round * 3L + 1, round * 3L + 3, 1), new HardState(1, 1, round));
                wal.sync();
            }
        }
        assertEquals(1, segments(tmp).size());
        assertEquals(new HardState(1, 1, 4), reopen(tmp, SEGMENT).hardState());
    }

    @Test
    void hardStateAloneAndEmptyHardStateAreHandled() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.append(List.of(), new HardState(5, 1, 0));
            wal.append(List.of(), HardState.EMPTY); // means "no change"
            wal.append(List.of(), null);
        }
        assertEquals(new HardState(5, 1, 0), reopen(tmp, SEGMENT).hardState());
    }

    @Test
    void markerBeyondTheLogMovesLastIndexAndEntriesContinueFromIt() throws IOException {
        // A follower that installs a leader's snapshot far ahead of its own log.
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.append(entries(1, 5, 1), null);
            wal.saveSnapshotMarker(new SnapshotMarker(100, 4));
            assertEquals(100, wal.lastIndex());
            wal.append(entries(101, 103, 4), new HardState(4, 0, 101));
        }
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            WalReplay replay = wal.replay();
            assertEquals(new SnapshotMarker(100, 4), replay.snapshot());
            assertEquals(entries(101, 103, 4), replay.entries());
            assertEquals(103, wal.lastIndex());
        }
    }

    @Test
    void lastIndexIsTheSnapshotIndexWhenNoEntryFollows() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.saveSnapshotMarker(new SnapshotMarker(50, 2));
        }
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            assertEquals(50, wal.lastIndex());
            assertEquals(List.of(), wal.replay().entries());
        }
    }

    @Test
    void appendRejectsGapsNonContiguousBatchesAndEntriesUnderTheSnapshot() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            assertThrows(IllegalArgumentException.class, () -> wal.append(List.of(entry(2, 1)), null),
                    "an empty log starts at index 1");
            wal.append(entries(1, 10, 1), null);
            assertThrows(IllegalArgumentException.class, () -> wal.append(List.of(entry(12, 1)), null));
            assertThrows(IllegalArgumentException.class, () -> wal.append(List.of(entry(11, 1), entry(13, 1)), null));
            wal.saveSnapshotMarker(new SnapshotMarker(5, 1));
            assertThrows(IllegalArgumentException.class, () -> wal.append(List.of(entry(5, 2)), null));
            assertThrows(IllegalArgumentException.class, () -> wal.saveSnapshotMarker(new SnapshotMarker(4, 1)));
            assertEquals(10, wal.lastIndex(), "rejected appends change nothing");
            wal.append(List.of(entry(11, 1)), null);
        }
        assertEquals(entries(6, 11, 1), reopen(tmp, SEGMENT).entries());
    }

    @Test
    void replayCanBeTakenOnlyOnce() throws IOException {
        try (Wal wal = Wal.open(tmp, SEGMENT)) {
            wal.replay();
            assertThrows(IllegalStateException.class, wal::replay);
        }
    }

    @Test
    void aWalCannotBeOpenedTwice() throws IOException {
        try (Wal wal = Wal.open(tmp, 4096)) {
            wal.append(entries(1, 10, 1), null);
            wal.sync();
            IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, 4096));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
            // The failed open must not have disturbed the live instance (e.g. its prepared next segment).
            wal.append(entries(11, 300, 1), null);
            wal.sync();
        }
        assertEquals(entries(1, 300, 1), reopen(tmp, 4096).entries()); // the lock is released on close
    }

    @Test
    void closedWalRefusesWritesAndCloseIsIdempotent() throws IOException {
        Wal wal = Wal.open(tmp, SEGMENT);
        wal.close();
        wal.close();
        assertThrows(IllegalStateException.class, () -> wal.append(entries(1, 1, 1), null));
        assertThrows(IllegalStateException.class, wal::sync);
    }

    @Test
    void noTemporaryFilesRemainAfterClose() throws IOException {
        try (Wal wal = Wal.open(tmp, 4096)) {
            for (long i = 1; i <= 200; i++) {
                wal.append(List.of(entry(i, 1, 100)), null);
                wal.sync();
            }
        }
        assertEquals(List.of(), WalFixtures.filesEndingWith(tmp, ".tmp"));
    }

    @Test
    void leftoverTemporaryFilesAreDeletedOnOpen() throws IOException {
        Files.createDirectories(tmp);
        Files.write(tmp.resolve("0.tmp"), new byte[100]);
        Files.write(tmp.resolve("initial.tmp"), new byte[100]);
        Wal.open(tmp, SEGMENT).close();
        assertEquals(List.of(), WalFixtures.filesEndingWith(tmp, ".tmp"));
    }

    @Test
    void manySmallBatchedAppendsReplayInOrder() throws IOException {
        // A smoke run of the hot path (group commit of small entries); correctness only, no timing.
        long index = 0;
        try (Wal wal = Wal.open(tmp, 1 << 20)) {
            for (int batch = 0; batch < 400; batch++) {
                List<WalEntry> entries = entries(index + 1, index + 50, 1);
                index += 50;
                wal.append(entries, new HardState(1, 1, index - 10));
                if (batch % 3 == 0) {
                    wal.sync();
                }
            }
        }
        WalReplay replay = reopen(tmp, 1 << 20);
        assertEquals(entries(1, index, 1), replay.entries());
        assertEquals(new HardState(1, 1, index - 10), replay.hardState());
    }
}
