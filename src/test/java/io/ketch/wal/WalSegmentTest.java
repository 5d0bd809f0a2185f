package io.ketch.wal;

import static io.ketch.wal.WalFixtures.entries;
import static io.ketch.wal.WalFixtures.entry;
import static io.ketch.wal.WalFixtures.entriesIn;
import static io.ketch.wal.WalFixtures.reopen;
import static io.ketch.wal.WalFixtures.segments;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rolling to new segments and releasing old ones. */
class WalSegmentTest {
    private static final long SMALL = 4096;

    @TempDir
    Path tmp;

    @Test
    void rollsIntoManySegmentsAndReplaysAcrossThem() throws IOException {
        Random random = new Random(42);
        List<WalEntry> written = new ArrayList<>();
        HardState lastHs = HardState.EMPTY;
        try (Wal wal = Wal.open(tmp, SMALL)) {
            for (long i = 1; i <= 600; ) {
                int n = 1 + random.nextInt(8);
                List<WalEntry> batch = new ArrayList<>();
                for (int k = 0; k < n; k++, i++) {
                    batch.add(entry(i, 1 + i / 100, random.nextInt(300)));
                }
                HardState hs = random.nextInt(3) == 0 ? new HardState(1 + i / 100, 1, i - 5) : null;
                wal.append(batch, hs);
                written.addAll(batch);
                lastHs = hs != null ? hs : lastHs;
                if (random.nextBoolean()) {
                    wal.sync();
                }
            }
        }
        List<Path> files = segments(tmp);
        assertTrue(files.size() >= 20, "expected many segments, got " + files.size());
        for (int k = 0; k < files.size(); k++) {
            SegmentName name = SegmentName.parse(files.get(k).getFileName().toString());
            assertEquals(k, name.seq());
            boolean last = k == files.size() - 1;
            if (!last) {
                assertTrue(Files.size(files.get(k)) <= SMALL, "sealed segments are cut to their records");
            }
            List<WalEntry> inFile = entriesIn(files.get(k), last);
            if (k > 0 && !inFile.isEmpty()) {
                assertEquals(name.firstIndex(), inFile.getFirst().index(), "name carries the first index: " + name);
            }
        }
        WalReplay replay = reopen(tmp, SMALL);
        assertEquals(written, replay.entries());
        assertEquals(lastHs, replay.hardState());
    }

    @Test
    void entryLargerThanASegmentGetsItsOwnSegment() throws IOException {
        WalEntry big = entry(2, 1, 2 << 20);
        List<WalEntry> written = List.of(entry(1, 1), big, entry(3, 1), entry(4, 1, 3 << 20));
        try (Wal wal = Wal.open(tmp, SMALL)) {
            wal.append(written.subList(0, 1), null);
            wal.append(written.subList(1, 3), null);
            wal.sync();
            wal.append(written.subList(3, 4), null);
        }
        assertEquals(written, reopen(tmp, SMALL).entries());
        try (Wal wal = Wal.open(tmp, SMALL)) {
            wal.replay();
            wal.append(List.of(entry(5, 1)), null);
        }
        assertEquals(5, reopen(tmp, SMALL).entries().size());
    }

    @Test
    void releaseDeletesExactlyTheSegmentsCoveredBySnapshot() throws IOException {
        try (Wal wal = Wal.open(tmp, SMALL)) {
            // The hard state is written once, early: later segments must carry it.
            wal.append(entries(1, 2, 1), new HardState(1, 1, 2));
            for (long i = 3; i <= 150; i++) {
                wal.append(List.of(entry(i, 1, 100)), null);
            }
            wal.saveSnapshotMarker(new SnapshotMarker(60, 1));
            wal.sync();
            List<Path> before = segments(tmp);
            List<Path> expectDeleted = new ArrayList<>();
            for (int k = 0; k < before.size() - 1; k++) {
                List<WalEntry> inFile = entriesIn(before.get(k), false);
                if (inFile.isEmpty() || inFile.getLast().index() > 60) {
                    break;
                }
                expectDeleted.add(before.get(k));
            }
            assertFalse(expectDeleted.isEmpty(), "the test needs segments entirely below the snapshot");

            wal.releaseTo(60);

            List<Path> after = segments(tmp);
            assertEquals(before.subList(expectDeleted.size(), before.size()), after);
            assertTrue(entriesIn(after.getFirst(), after.size() == 1).stream().anyMatch(e -> e.index() == 61),
                    "the oldest remaining segment holds the first entry after the snapshot");
            wal.append(List.of(entry(151, 2)), null);
        }
        WalReplay replay = reopen(tmp, SMALL);
        assertEquals(new SnapshotMarker(60, 1), replay.snapshot());
        assertEquals(new HardState(1, 1, 2), replay.hardState());
        List<WalEntry> expected = new ArrayList<>();
        for (long i = 61; i <= 150; i++) {
            expected.add(entry(i, 1, 100));
        }
        expected.add(entry(151, 2));
        assertEquals(expected, replay.entries());
    }

    @Test
    void releaseNeverGoesPastTheSnapshotMarker() throws IOException {
        try (Wal wal = Wal.open(tmp, SMALL)) {
            wal.append(entries(1, 150, 1), null);
            wal.saveSnapshotMarker(new SnapshotMarker(30, 1));
            wal.releaseTo(1_000);
        }
        WalReplay replay = reopen(tmp, SMALL);
        assertEquals(entries(31, 150, 1), replay.entries());
    }

    @Test
    void releaseWithoutSnapshotDeletesNothing() throws IOException {
        try (Wal wal = Wal.open(tmp, SMALL)) {
            wal.append(entries(1, 150, 1), null);
            wal.sync();
            int before = segments(tmp).size();
            assertTrue(before > 1, "the test needs several segments");
            wal.releaseTo(150);
            assertEquals(before, segments(tmp).size());
        }
        assertEquals(entries(1, 150, 1), reopen(tmp, SMALL).entries());
    }

    @Test
    void releaseKeepsTheSegmentBeingWritten() throws IOException {
        try (Wal wal = Wal.open(tmp, SMALL)) {
            wal.append(entries(1, 150, 1), new HardState(1, 1, 150));
            wal.saveSnapshotMarker(new SnapshotMarker(150, 1));
            wal.releaseTo(150);
            assertEquals(1, segments(tmp).size());
            assertEquals(150, wal.lastIndex());
        }
        try (Wal wal = Wal.open(tmp, SMALL)) {
            WalReplay replay = wal.replay();
            assertEquals(new SnapshotMarker(150, 1), replay.snapshot());
            assertEquals(new HardState(1, 1, 150), replay.hardState());
            assertEquals(List.of(), replay.entries());
            assertEquals(150, wal.lastIndex());
            wal.append(entries(151, 400, 2), null);
            wal.saveSnapshotMarker(new SnapshotMarker(300, 2));
            wal.releaseTo(300);
        }
        WalReplay replay = reopen(tmp, SMALL);
        assertEquals(new SnapshotMarker(300, 2), replay.snapshot());
        assertEquals(entries(301, 400, 2), replay.entries());
    }
}
