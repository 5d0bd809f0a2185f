package io.ketch.snap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PortableSnapshotTest {
    @TempDir
    Path dir;

    /** What a client saves: the body, then its SHA-256. */
    private Path saved(List<SnapshotRecord> records) throws IOException {
        Path body = dir.resolve("body");
        long n = PortableSnapshot.writeBody(body, new SnapshotMeta(42, 3, new byte[] {9}), records.iterator());
        assertEquals(Files.size(body), n);
        assertEquals(0, n % 512, "etcdctl needs whole 512-byte blocks before the hash");
        byte[] bytes = Files.readAllBytes(body);
        Path saved = dir.resolve("saved.db");
        Files.write(saved, bytes);
        Files.write(saved, PortableSnapshot.sha256().digest(bytes), java.nio.file.StandardOpenOption.APPEND);
        return saved;
    }

    private static List<SnapshotRecord> records(int n) {
        List<SnapshotRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new SnapshotRecord((byte) (i % 3), ("k" + i).getBytes(), new byte[i % 700]));
        }
        return out;
    }

    @Test
    void extractGivesBackTheSnapshotFile() throws IOException {
        for (int n : new int[] {0, 1, 37, 500}) {
            List<SnapshotRecord> recs = records(n);
            Path out = dir.resolve("out" + n + ".snap");
            PortableSnapshot.extract(saved(recs), out);
            try (SnapshotReader r = SnapshotReader.open(out)) {
                assertEquals(new SnapshotMeta(42, 3, new byte[] {9}), r.meta());
                List<SnapshotRecord> back = new ArrayList<>();
                r.forEachRemaining(back::add);
                assertEquals(recs, back);
            }
        }
    }

    @Test
    void aDamagedOrTruncatedFileIsRefused() throws IOException {
        Path saved = saved(records(50));
        byte[] bytes = Files.readAllBytes(saved);
        bytes[100] ^= 1;
        Path flipped = dir.resolve("flipped.db");
        Files.write(flipped, bytes);
        assertThrows(CorruptSnapshotException.class, () -> PortableSnapshot.extract(flipped, dir.resolve("x")));

        Path cut = dir.resolve("cut.db");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(saved), (int) Files.size(saved) - 512));
        assertThrows(CorruptSnapshotException.class, () -> PortableSnapshot.extract(cut, dir.resolve("y")));

        Path noHash = dir.resolve("nohash.db");
        Files.write(noHash, java.util.Arrays.copyOf(Files.readAllBytes(saved), (int) Files.size(saved) - 32));
        assertThrows(CorruptSnapshotException.class, () -> PortableSnapshot.extract(noHash, dir.resolve("z")));
    }
}
