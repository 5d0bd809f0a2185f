package io.ketch.wal;

import static io.ketch.wal.WalFixtures.entries;
import static io.ketch.wal.WalFixtures.entry;
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

/** Damage that is not a torn tail must stop the open with a message saying where. */
class WalCorruptionTest {
    private static final long SMALL = 4096;

    @TempDir
    Path tmp;

    private List<Path> writeSeveralSegments() throws IOException {
        try (Wal wal = Wal.open(tmp, SMALL)) {
            wal.append(entries(1, 150, 1), new HardState(1, 1, 150));
        }
        List<Path> files = segments(tmp);
        assertTrue(files.size() >= 3, "the test needs several segments");
        return files;
    }

    @Test
    void flippedByteInANonLastSegmentFailsNamingFileAndOffset() throws IOException {
        List<Path> files = writeSeveralSegments();
        Path victim = files.get(1);
        long offset = WalFormat.SEGMENT_HEADER_BYTES + 200;
        WalFixtures.flipByte(victim, offset);
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains(victim.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("offset"), e.getMessage());
        assertEquals(files, segments(tmp), "a failed open changes nothing");
    }

    @Test
    void everyDamagedByteOfAFirstSegmentIsDetected() throws IOException {
        List<Path> files = writeSeveralSegments();
        Path first = files.getFirst();
        byte[] pristine = Files.readAllBytes(first);
        for (long offset = WalFormat.SEGMENT_HEADER_BYTES; offset < pristine.length; offset += 7) {
            Files.write(first, pristine);
            WalFixtures.flipByte(first, offset);
            long at = offset;
            assertThrows(IOException.class, () -> Wal.open(tmp, SMALL), () -> "flip at " + at);
        }
        Files.write(first, pristine);
        assertEquals(entries(1, 150, 1), WalFixtures.reopen(tmp, SMALL).entries());
    }

    @Test
    void truncatedNonLastSegmentFails() throws IOException {
        List<Path> files = writeSeveralSegments();
        WalFixtures.truncate(files.get(0), Files.size(files.get(0)) - 10);
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains(files.get(0).getFileName().toString()), e.getMessage());
    }

    @Test
    void missingMiddleSegmentFails() throws IOException {
        List<Path> files = writeSeveralSegments();
        Files.delete(files.get(1));
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains("missing segment"), e.getMessage());
    }

    @Test
    void missingOldestSegmentWithoutSnapshotIsAGap() throws IOException {
        List<Path> files = writeSeveralSegments();
        Files.delete(files.getFirst());
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains("missing entries"), e.getMessage());
    }

    @Test
    void gapBetweenEntriesFails() throws IOException {
        RecordBuffer records = new RecordBuffer(1024);
        records.putEntry(entry(1, 1));
        records.putEntry(entry(2, 1));
        records.putEntry(entry(4, 1));
        Path segment = tmp.resolve(new SegmentName(0, 1).fileName());
        WalFixtures.writeSegment(segment, SMALL, records);
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains("gap") && e.getMessage().contains("entry 4 follows entry 2"), e.getMessage());
    }

    @Test
    void entriesNotStartingRightAfterTheSnapshotFail() throws IOException {
        RecordBuffer records = new RecordBuffer(1024);
        records.putSnapshot(new SnapshotMarker(5, 1));
        records.putEntry(entry(7, 1));
        WalFixtures.writeSegment(tmp.resolve(new SegmentName(0, 1).fileName()), SMALL, records);
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains("missing entries 6..6"), e.getMessage());
    }

    @Test
    void handWrittenSegmentInTheDocumentedFormatReplays() throws IOException {
        // Pins the format: a marker jumping past the old log, then entries continuing from it.
        RecordBuffer records = new RecordBuffer(64);
        records.putEntry(entry(1, 1));
        records.putEntry(entry(2, 1));
        records.putSnapshot(new SnapshotMarker(10, 2));
        records.putEntry(entry(11, 2));
        records.putHardState(new HardState(2, 3, 11));
        WalFixtures.writeSegment(tmp.resolve(new SegmentName(0, 1).fileName()), SMALL, records);
        WalReplay replay = WalFixtures.reopen(tmp, SMALL);
        assertEquals(new SnapshotMarker(10, 2), replay.snapshot());
        assertEquals(List.of(entry(11, 2)), replay.entries());
        assertEquals(new HardState(2, 3, 11), replay.hardState());
    }

    @Test
    void unknownFileNamedLikeASegmentHeaderFails() throws IOException {
        Files.write(tmp.resolve(new SegmentName(0, 1).fileName()), new byte[64]);
        IOException e = assertThrows(IOException.class, () -> Wal.open(tmp, SMALL));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }
}
