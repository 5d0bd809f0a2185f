package io.ketch.snap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotterTest {
    @TempDir
    Path dir;

    private static List<SnapshotRecord> records(int n, long seed) {
        Random random = new Random(seed);
        List<SnapshotRecord> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] key = ("key/" + i).getBytes(StandardCharsets.UTF_8);
            byte[] value = new byte[random.nextInt(4) == 0 ? 0 : random.nextInt(200)];
            random.nextBytes(value);
            list.add(new SnapshotRecord((byte) (i % 5), key, value));
        }
        return list;
    }

    private static SnapshotMeta meta(long index, long term) {
        return new SnapshotMeta(index, term, ("members@" + index).getBytes(StandardCharsets.UTF_8));
    }

    private static List<SnapshotRecord> readAll(SnapshotReader reader) {
        List<SnapshotRecord> list = new ArrayList<>();
        reader.forEachRemaining(list::add);
        return list;
    }

    private List<String> files(String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void roundTripOfManyRecordsIncludingEmptyAndLargeValues() throws IOException {
        List<SnapshotRecord> written = new ArrayList<>(records(20_000, 1));
        byte[] large = new byte[5 << 20];
        new Random(2).nextBytes(large);
        written.add(new SnapshotRecord((byte) 7, "big".getBytes(StandardCharsets.UTF_8), large));
        written.add(new SnapshotRecord((byte) -1, new byte[0], new byte[0]));
        Snapshotter snapshotter = new Snapshotter(dir);
        Path path = snapshotter.save(meta(1234, 5), written.iterator());
        assertEquals("0000000000000005-00000000000004d2.snap", path.getFileName().toString());

        try (SnapshotReader reader = new Snapshotter(dir).openNewest().orElseThrow()) {
            assertEquals(meta(1234, 5), reader.meta());
            assertEquals(path, reader.path());
            assertEquals(written.size(), reader.recordCount());
            assertEquals(written, readAll(reader));
            assertFalse(reader.hasNext());
            assertThrows(NoSuchElementException.class, reader::next);
        }
    }

    @Test
    void emptySnapshotWithEmptyExtra() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir);
        snapshotter.save(new SnapshotMeta(1, 1, null), List.<SnapshotRecord>of().iterator());
        try (SnapshotReader reader = snapshotter.openNewest().orElseThrow()) {
            assertArrayEquals(new byte[0], reader.meta().extra());
            assertFalse(reader.hasNext());
            assertEquals(0, reader.recordCount());
        }
    }

    @Test
    void emptyDirectoryHasNoSnapshot() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir.resolve("member/snap"));
        assertEquals(Optional.empty(), snapshotter.openNewest());
        assertEquals(List.of(), snapshotter.list());
        assertTrue(Files.isDirectory(dir.resolve("member/snap")));
    }

    @Test
    void newestByIndexWinsAndListIsNewestFirst() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir, 5);
        snapshotter.save(meta(200, 3), records(3, 200).iterator());
        snapshotter.save(meta(100, 2), records(3, 100).iterator());
        snapshotter.save(meta(150, 3), records(3, 150).iterator());
        try (SnapshotReader reader = snapshotter.openNewest().orElseThrow()) {
            assertEquals(meta(200, 3), reader.meta());
            assertEquals(records(3, 200), readAll(reader));
        }
        assertEquals(List.of(meta(200, 3), meta(150, 3), meta(100, 2)), snapshotter.list());
    }

    @Test
    void retentionKeepsTheNewest() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir);
        for (long i = 1; i <= 5; i++) {
            snapshotter.save(meta(i * 10, 1), records(2, i).iterator());
        }
        assertEquals(List.of(meta(50, 1), meta(40, 1)), snapshotter.list());
        assertEquals(2, files(".snap").size());

        Snapshotter three = new Snapshotter(dir, 3);
        three.save(meta(60, 1), records(1, 6).iterator());
        three.save(meta(70, 1), records(1, 7).iterator());
        assertEquals(List.of(meta(70, 1), meta(60, 1), meta(50, 1)), three.list());
    }

    @Test
    void corruptNewestIsSetAsideAndTheOlderOneIsReturned() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir, 3);
        snapshotter.save(meta(10, 1), records(50, 10).iterator());
        Path newest = snapshotter.save(meta(20, 1), records(50, 20).iterator());
        flipByte(newest, Files.size(newest) / 2);

        try (SnapshotReader reader = snapshotter.openNewest().orElseThrow()) {
            assertEquals(meta(10, 1), reader.meta());
            assertEquals(records(50, 10), readAll(reader));
        }
        assertEquals(List.of(newest.getFileName() + ".broken"), files(".broken"));
        assertEquals(List.of(meta(10, 1)), snapshotter.list());
    }

    @Test
    void truncatedNewestIsSkipped() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir);
        snapshotter.save(meta(10, 1), records(50, 10).iterator());
        Path newest = snapshotter.save(meta(20, 1), records(50, 20).iterator());
        try (FileChannel ch = FileChannel.open(newest, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(newest) - 1);
        }
        try (SnapshotReader reader = snapshotter.openNewest().orElseThrow()) {
            assertEquals(meta(10, 1), reader.meta());
        }
    }

    @Test
    void allCorruptMeansNone() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir);
        Path a = snapshotter.save(meta(10, 1), records(5, 10).iterator());
        Path b = snapshotter.save(meta(20, 1), records(5, 20).iterator());
        flipByte(a, 0);
        Files.write(b, new byte[0]);
        assertEquals(Optional.empty(), snapshotter.openNewest());
        assertEquals(2, files(".broken").size());
    }

    @Test
    void headerThatDisagreesWithTheFileNameIsSkipped() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir, 5);
        snapshotter.save(meta(10, 1), records(5, 10).iterator());
        Path other = snapshotter.save(meta(20, 1), records(5, 20).iterator());
        Files.move(other, dir.resolve(new SnapshotFileName(1, 30).fileName()));
        try (SnapshotReader reader = snapshotter.openNewest().orElseThrow()) {
            assertEquals(meta(10, 1), reader.meta());
        }
    }

    @Test
    void leftoverTemporaryFilesAreDeletedOnCreation() throws IOException {
        Files.write(dir.resolve("0000000000000001-0000000000000010.snap.123.tmp"), new byte[10]);
        Files.write(dir.resolve("x.tmp"), new byte[10]);
        new Snapshotter(dir);
        assertEquals(List.of(), files(".tmp"));
    }

    @Test
    void failingRecordSourceLeavesNoFileBehind() throws IOException {
        Snapshotter snapshotter = new Snapshotter(dir);
        Iterator<SnapshotRecord> failing = new Iterator<>() {
            int n;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public SnapshotRecord next() {
                if (++n > 100) {
                    throw new IllegalStateException("backend went away");
                }
                return new SnapshotRecord((byte) 0, new byte[] {1}, new byte[] {2});
            }
        };
        assertThrows(IllegalStateException.class, () -> snapshotter.save(meta(5, 1), failing));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) offset] ^= 0x21;
        Files.write(file, bytes);
    }
}
