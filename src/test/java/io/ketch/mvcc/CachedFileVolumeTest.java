package io.ketch.mvcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachedFileVolumeTest {
    /** 64 KiB slices, so a few writes cross slice boundaries. */
    private static final int SLICE_SHIFT = 16;

    @TempDir
    Path dir;

    private static byte[] fileBytes(Path file) throws IOException {
        return Files.readAllBytes(file);
    }

    @Test
    void writesReachTheFileOnlyAtSyncAndAllOfThemDo() throws IOException {
        Path file = dir.resolve("vol");
        CachedFileVolume vol = new CachedFileVolume(file.toFile(), SLICE_SHIFT);
        vol.ensureAvailable(3L << SLICE_SHIFT);
        vol.putLong(8, 0x0102030405060708L);
        vol.sync();
        assertEquals(3L << SLICE_SHIFT, Files.size(file));
        assertEquals(0x0102030405060708L, ByteBuffer.wrap(fileBytes(file), 8, 8).getLong());

        vol.putInt(70_000, 42);
        assertEquals(0, ByteBuffer.wrap(fileBytes(file), 70_000, 4).getInt(), "not written before sync");
        vol.sync();
        assertEquals(42, ByteBuffer.wrap(fileBytes(file), 70_000, 4).getInt());
        vol.close();
    }

    @Test
    void randomWritesMatchAPlainByteArrayAfterReopen() throws IOException {
        Path file = dir.resolve("vol");
        Random rnd = new Random(7);
        int size = 5 << SLICE_SHIFT;
        byte[] model = new byte[size];
        CachedFileVolume vol = new CachedFileVolume(file.toFile(), SLICE_SHIFT);
        vol.ensureAvailable(size);
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 300; i++) {
                int len = 1 + rnd.nextInt(9000);
                int off = rnd.nextInt(size - len);
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                vol.putDataOverlap(off, data, 0, len);
                System.arraycopy(data, 0, model, off, len);
                int at = rnd.nextInt(size / 8) * 8; // MapDB's longs never cross a slice
                long v = rnd.nextLong();
                vol.putLong(at, v);
                ByteBuffer.wrap(model, at, 8).putLong(v);
                assertEquals(v, vol.getLong(at));
            }
            vol.sync();
            assertArrayEquals(model, fileBytes(file), "file after sync " + round);
        }
        vol.close();
        CachedFileVolume reopened = new CachedFileVolume(file.toFile(), SLICE_SHIFT);
        byte[] read = new byte[size];
        for (int off = 0; off < size; off += 1 << SLICE_SHIFT) {
            reopened.getData(off, read, off, 1 << SLICE_SHIFT);
        }
        assertArrayEquals(model, read);
        reopened.close();
    }

    @Test
    void truncateShrinksTheFileAtTheNextSync() throws IOException {
        Path file = dir.resolve("vol");
        CachedFileVolume vol = new CachedFileVolume(file.toFile(), SLICE_SHIFT);
        vol.ensureAvailable(4L << SLICE_SHIFT);
        vol.putByte((3L << SLICE_SHIFT) + 5, (byte) 9);
        vol.sync();
        assertEquals(4L << SLICE_SHIFT, Files.size(file));
        vol.truncate(1L << SLICE_SHIFT);
        assertEquals(1L << SLICE_SHIFT, vol.length());
        vol.sync();
        assertEquals(1L << SLICE_SHIFT, Files.size(file));
        vol.ensureAvailable(2L << SLICE_SHIFT);
        assertEquals(0, vol.getByte((1L << SLICE_SHIFT) + 5), "regrown space is zeroes");
        vol.close();
        assertEquals(2L << SLICE_SHIFT, Files.size(file));
    }

    @Test
    void clearZeroesAndIsWrittenBack() throws IOException {
        Path file = dir.resolve("vol");
        CachedFileVolume vol = new CachedFileVolume(file.toFile(), SLICE_SHIFT);
        vol.ensureAvailable(1L << SLICE_SHIFT);
        byte[] ones = new byte[10_000];
        java.util.Arrays.fill(ones, (byte) 1);
        vol.putData(100, ones, 0, ones.length);
        vol.sync();
        vol.clear(200, 9_000);
        vol.close();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(10_000);
            ch.read(b, 100);
            byte[] got = b.array();
            for (int i = 0; i < got.length; i++) {
                int off = 100 + i;
                assertEquals(off >= 200 && off < 9_000 ? 0 : 1, got[i], "byte at " + off);
            }
        }
    }
}
