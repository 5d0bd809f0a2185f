package io.ketch.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Builders and file helpers shared by the WAL tests. */
final class WalFixtures {
    private WalFixtures() {}

    /** An entry whose data identifies it, so a mix-up between entries or terms shows in assertions. */
    static WalEntry entry(long index, long term) {
        return entry(index, term, 16 + (int) (index % 40));
    }

    static WalEntry entry(long index, long term, int dataBytes) {
        byte[] data = new byte[dataBytes];
        byte[] tag = ("i" + index + "t" + term + ";").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < dataBytes; i++) {
            data[i] = tag[i % tag.length];
        }
        return new WalEntry(index, term, (int) (index % 2), data);
    }

    static List<WalEntry> entries(long from, long to, long term) {
        List<WalEntry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            list.add(entry(i, term));
        }
        return list;
    }

    static List<WalEntry> concat(List<WalEntry> a, List<WalEntry> b) {
        List<WalEntry> list = new ArrayList<>(a);
        list.addAll(b);
        return list;
    }

    static WalReplay reopen(Path dir, long segmentBytes) throws IOException {
        try (Wal wal = Wal.open(dir, segmentBytes)) {
            return wal.replay();
        }
    }

    /** The segment files, oldest first. */
    static List<Path> segments(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".wal")).sorted().toList();
        }
    }

    static List<Path> filesEndingWith(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    static void deleteDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x5a)).position(0);
            ch.write(b, offset);
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** Truncates to {@code size}, then extends back to {@code fullSize} with zeros (preallocated space lost the tail). */
    static void zeroFrom(Path file, long size, long fullSize) throws IOException {
        truncate(file, size);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            SegmentFiles.writeZeros(ch, size, fullSize);
        }
    }

    /** Writes a segment file by hand: header, the given records, then zeros up to {@code bytes}. */
    static void writeSegment(Path file, long bytes, RecordBuffer records) throws IOException {
        SegmentFiles.createPreallocated(file, bytes);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer buf = records.raw().duplicate().flip();
            SegmentFiles.writeFully(ch, buf, WalFormat.SEGMENT_HEADER_BYTES);
        }
    }

    /** Every record of one segment, as replay sees it (tests use this to learn which entries a file holds). */
    static List<WalEntry> entriesIn(Path segment, boolean last) throws IOException {
        List<WalEntry> found = new ArrayList<>();
        SegmentReader.read(segment, last, new SegmentReader.Visitor() {
            @Override
            public void entry(WalEntry entry, Path file, long offset) {
                found.add(entry);
            }

            @Override
            public void hardState(HardState hardState) {}

            @Override
            public void snapshot(SnapshotMarker marker) {}
        });
        return found;
    }
}
