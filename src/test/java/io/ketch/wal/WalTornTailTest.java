package io.ketch.wal;

import static io.ketch.wal.WalFixtures.concat;
import static io.ketch.wal.WalFixtures.entries;
import static io.ketch.wal.WalFixtures.entry;
import static io.ketch.wal.WalFixtures.segments;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed mid-write leaves the last segment ending in a partial record, a record with a bad
 * checksum, or zeros. Open must keep exactly the records before the damage and cut the rest, so that
 * later appends land on a clean tail and survive the next open.
 */
class WalTornTailTest {
    private static final long SEGMENT = 16 * 1024;

    @TempDir
    Path tmp;

    /** What replay should return when the file is damaged at some offset. */
    private record Checkpoint(long endOffset, List<WalEntry> entries, HardState hardState) {}

    private enum Damage { TRUNCATE, ZERO_TAIL, FLIP_BYTE }

    @Test
    void damageAtEveryOffsetOfTheLastRecordsKeepsExactlyTheRecordsBeforeIt() throws IOException {
        Path pristine = tmp.resolve("pristine");
        List<Checkpoint> checkpoints = new ArrayList<>();
        long damageFrom;
        try (Wal wal = Wal.open(pristine, SEGMENT)) {
            List<WalEntry> firstThree = entries(1, 3, 1);
            wal.append(firstThree, new HardState(1, 1, 1));
            wal.sync();
            long afterFirstBatch = wal.writeOffset();
            checkpoints.add(new Checkpoint(afterFirstBatch, firstThree, new HardState(1, 1, 1)));
            // The last batch: two records in one write, an entry and then a hard state.
            WalEntry fourth = entry(4, 2, 45);
            wal.append(List.of(fourth), new HardState(2, 1, 3));
            wal.sync();
            List<WalEntry> allFour = concat(firstThree, List.of(fourth));
            long afterEntry = afterFirstBatch + WalFormat.entryRecordBytes(fourth);
            checkpoints.add(new Checkpoint(afterEntry, allFour, new HardState(1, 1, 1)));
            checkpoints.add(new Checkpoint(wal.writeOffset(), allFour, new HardState(2, 1, 3)));
            damageFrom = checkpoints.getFirst().endOffset();
        }
        long damageTo = checkpoints.getLast().endOffset();
        assertEquals(1, segments(pristine).size());

        byte[] pristineBytes = Files.readAllBytes(segments(pristine).getLast());
        int scenarios = 0;
        Path work = tmp.resolve("work");
        for (long offset = damageFrom; offset < damageTo; offset++) {
            for (Damage damage : Damage.values()) {
                // Zeroing a byte that already was zero damages nothing: the first damaged byte is the first
                // non-zero one at or after the offset.
                long damaged = offset;
                while (damage == Damage.ZERO_TAIL && damaged < damageTo && pristineBytes[(int) damaged] == 0) {
                    damaged++;
                }
                Checkpoint expected = survivingAt(checkpoints, damaged);
                WalFixtures.deleteDir(work);
                WalFixtures.copyDir(pristine, work);
                Path segment = segments(work).getLast();
                switch (damage) {
                    case TRUNCATE -> WalFixtures.truncate(segment, offset);
                    case ZERO_TAIL -> WalFixtures.zeroFrom(segment, offset, SEGMENT);
                    case FLIP_BYTE -> WalFixtures.flipByte(segment, offset);
                }
                String where = damage + " at offset " + offset;
                WalEntry next = entry(expected.entries().size() + 1, 9);
                try (Wal wal = Wal.open(work, SEGMENT)) {
                    WalReplay replay = wal.replay();
                    assertEquals(expected.entries(), replay.entries(), where);
                    assertEquals(expected.hardState(), replay.hardState(), where);
                    assertEquals(expected.endOffset(), wal.writeOffset(), where);
                    wal.append(List.of(next), new HardState(9, 1, 2));
                }
                WalReplay again = WalFixtures.reopen(work, SEGMENT);
                assertEquals(concat(expected.entries(), List.of(next)), again.entries(), where + ", after reopen");
                assertEquals(new HardState(9, 1, 2), again.hardState(), where + ", after reopen");
                scenarios++;
            }
        }
        assertTrue(scenarios > 200, "covered " + scenarios + " scenarios");
    }

    /** The state after the last record that ends at or before {@code offset}. */
    private static Checkpoint survivingAt(List<Checkpoint> checkpoints, long offset) {
        Checkpoint result = null;
        for (Checkpoint c : checkpoints) {
            if (c.endOffset() <= offset) {
                result = c;
            }
        }
        return result;
    }

    @Test
    void tornTailOfTheLastOfManySegmentsIsCut() throws IOException {
        Path dir = tmp.resolve("wal");
        try (Wal wal = Wal.open(dir, 4096)) {
            wal.append(entries(1, 300, 1), new HardState(1, 1, 300));
            wal.sync();
            wal.append(List.of(entry(301, 1, 200)), null);
        }
        List<Path> files = segments(dir);
        assertTrue(files.size() > 3);
        Path last = files.getLast();
        long end = lastRecordEnd(last);
        WalFixtures.truncate(last, end - 50); // cut inside entry 301
        try (Wal wal = Wal.open(dir, 4096)) {
            assertEquals(entries(1, 300, 1), wal.replay().entries());
            assertEquals(300, wal.lastIndex());
            wal.append(List.of(entry(301, 2)), null);
        }
        List<WalEntry> replayed = WalFixtures.reopen(dir, 4096).entries();
        assertEquals(concat(entries(1, 300, 1), List.of(entry(301, 2))), replayed);
        assertEquals(4096, Files.size(segments(dir).getLast()), "the repaired segment is preallocated again");
    }

    @Test
    void garbageBeyondTheTornRecordCannotResurfaceAfterLaterAppends() throws IOException {
        // A torn batch may have persisted later pages but not earlier ones. If those stale records were left
        // in place, a later append ending exactly where one begins would make it readable again.
        Path dir = tmp.resolve("wal");
        long tornAt;
        try (Wal wal = Wal.open(dir, SEGMENT)) {
            wal.append(entries(1, 2, 1), null);
            wal.sync();
            tornAt = wal.writeOffset();
            wal.append(List.of(entry(3, 1, 64)), null);
            wal.append(List.of(entry(4, 1, 64)), null);
        }
        Path segment = segments(dir).getLast();
        WalFixtures.flipByte(segment, tornAt + 12); // entry 3 is bad, entry 4 after it is intact on disk
        try (Wal wal = Wal.open(dir, SEGMENT)) {
            assertEquals(entries(1, 2, 1), wal.replay().entries());
            wal.append(List.of(entry(3, 2, 64)), null); // same size: ends exactly where stale entry 4 starts
        }
        assertEquals(concat(entries(1, 2, 1), List.of(entry(3, 2, 64))), WalFixtures.reopen(dir, SEGMENT).entries());
    }

    private static long lastRecordEnd(Path segment) throws IOException {
        long[] end = new long[1];
        SegmentReader.read(segment, true, new SegmentReader.Visitor() {
            @Override
            public void entry(WalEntry e, Path file, long offset) {
                end[0] = offset + WalFormat.entryRecordBytes(e);
            }

            @Override
            public void hardState(HardState hardState) {}

            @Override
            public void snapshot(SnapshotMarker marker) {}
        });
        return end[0];
    }
}
