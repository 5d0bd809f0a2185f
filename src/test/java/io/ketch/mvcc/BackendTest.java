package io.ketch.mvcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendTest {

    @TempDir
    Path dir;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aNewFileWasNotClosedCleanly() {
        try (Backend be = Backend.open(dir.resolve("db"))) {
            assertFalse(be.wasClosedCleanly());
            assertEquals(0, be.consistentIndex());
        }
    }

    @Test
    void reopeningAfterCloseIsCleanAndKeepsRecordsAndConsistentIndex() {
        Path f = dir.resolve("member/db");
        try (Backend be = Backend.open(f)) {
            be.put(Backend.KEY_BUCKET, new Revision(2, 0).toBytes(), b("v"));
            be.put("lease", b("l1"), b("x"));
            be.setConsistentIndex(42, 3);
        }
        try (Backend be = Backend.open(f)) {
            assertTrue(be.wasClosedCleanly());
            assertEquals(42, be.consistentIndex());
            assertEquals(3, be.consistentTerm());
            assertArrayEquals(b("v"), be.get(Backend.KEY_BUCKET, new Revision(2, 0).toBytes()));
            assertArrayEquals(b("x"), be.get("lease", b("l1")));
            assertArrayEquals(Backend.encodeLong(42), be.get(Backend.META_BUCKET, b(Backend.CONSISTENT_INDEX)));
        }
        try (Backend be = Backend.open(f)) {
            assertTrue(be.wasClosedCleanly(), "every completed close writes the marker again");
        }
    }

    @Test
    void theMarkerIsRemovedAtOpenSoAFileCopiedWhileOpenIsNotClean() throws Exception {
        Path f = dir.resolve("db");
        try (Backend be = Backend.open(f)) {
            be.put(Backend.KEY_BUCKET, new Revision(2, 0).toBytes(), b("v"));
        }
        Path crashed = dir.resolve("crashed");
        try (Backend be = Backend.open(f)) {
            assertTrue(be.wasClosedCleanly());
            assertNull(be.get(Backend.META_BUCKET, b(Backend.CLEAN_CLOSE)), "no marker while open");
            be.put(Backend.KEY_BUCKET, new Revision(3, 0).toBytes(), b("w"));
            be.sync();
            // the file as a crash would leave it
            Files.copy(f, crashed);
        }
        try (Backend be = Backend.open(crashed)) {
            assertFalse(be.wasClosedCleanly());
        }
    }

    @Test
    void aDamagedFileIsReplacedByAnEmptyOneAndReportedUnclean() throws Exception {
        Path f = dir.resolve("db");
        byte[] junk = new byte[70_000];
        new Random(7).nextBytes(junk);
        Files.write(f, junk);
        try (Backend be = Backend.open(f)) {
            assertFalse(be.wasClosedCleanly());
            assertFalse(be.iterator(Backend.KEY_BUCKET, null, null).hasNext());
            be.put(Backend.KEY_BUCKET, new Revision(2, 0).toBytes(), b("v"));
        }
        try (Backend be = Backend.open(f)) {
            assertTrue(be.wasClosedCleanly());
        }
    }

    /**
     * One writer appends records (growing the in-memory volume slice by slice, writing back at
     * syncs) while readers read back records already written: every read sees its record whole.
     */
    @Test
    void readersSeeEveryWrittenRecordWhileTheWriterGrowsAndSyncsTheFile() throws Exception {
        int records = 20_000;
        byte[] value = new byte[700]; // ~14 MB in all: the volume grows by many 1 MiB slices
        try (Backend be = Backend.open(dir.resolve("db"))) {
            java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = t;
                readers.add(Thread.ofPlatform().start(() -> {
                    Random rnd = new Random(seed);
                    try {
                        while (written.get() < records) {
                            long upTo = written.get();
                            if (upTo == 0) {
                                continue;
                            }
                            long main = 1 + rnd.nextLong(upTo);
                            byte[] got = be.get(Backend.KEY_BUCKET, new Revision(main, 0).toBytes());
                            assertArrayEquals(recordValue(value, main), got, "record " + main);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (long main = 1; main <= records && failure.get() == null; main++) {
                be.put(Backend.KEY_BUCKET, new Revision(main, 0).toBytes(), recordValue(value, main));
                written.set(main);
                if (main % 5_000 == 0) {
                    be.sync();
                }
            }
            written.set(records);
            for (Thread r : readers) {
                r.join();
            }
            if (failure.get() != null) {
                throw new AssertionError("a reader failed", failure.get());
            }
        }
        try (Backend be = Backend.open(dir.resolve("db"))) {
            assertTrue(be.wasClosedCleanly());
            for (long main = 1; main <= records; main += 997) {
                assertArrayEquals(recordValue(value, main), be.get(Backend.KEY_BUCKET, new Revision(main, 0).toBytes()));
            }
        }
    }

    private static byte[] recordValue(byte[] template, long main) {
        byte[] v = template.clone();
        java.nio.ByteBuffer.wrap(v).putLong(0, main).putLong(v.length - 8, main * 31);
        return v;
    }

    @Test
    void byteArrayKeysIterateInUnsignedLexicographicOrder() {
        try (Backend be = Backend.open(dir.resolve("db"))) {
            byte[][] keys = {{(byte) 0x80}, {0x7f}, {(byte) 0xff}, {0x00}, {0x7f, 0x00}, {(byte) 0x80, (byte) 0xff}};
            for (byte[] k : keys) {
                be.put("t", k, k);
            }
            List<byte[]> got = new ArrayList<>();
            Iterator<Map.Entry<byte[], byte[]>> it = be.iterator("t", null, null);
            while (it.hasNext()) {
                got.add(it.next().getKey());
            }
            byte[][] sorted = keys.clone();
            Arrays.sort(sorted, Arrays::compareUnsigned);
            assertEquals(sorted.length, got.size());
            for (int i = 0; i < sorted.length; i++) {
                assertArrayEquals(sorted[i], got.get(i), "position " + i);
            }
            // bounded iteration [0x7f, 0x80 0xff)
            Iterator<byte[]> ks = be.keyIterator("t", new byte[] {0x7f}, new byte[] {(byte) 0x80, (byte) 0xff});
            List<String> seen = new ArrayList<>();
            ks.forEachRemaining(k -> seen.add(Arrays.toString(k)));
            assertEquals(List.of("[127]", "[127, 0]", "[-128]"), seen);
        }
    }

    @Test
    void exportThenImportIntoAnEmptyBackendReproducesEveryRecord() {
        List<String> exported = new ArrayList<>();
        try (Backend src = Backend.open(dir.resolve("src"))) {
            src.put(Backend.KEY_BUCKET, new Revision(2, 0).toBytes(), b("a"));
            src.put(Backend.KEY_BUCKET, new Revision(3, 0).toTombstoneBytes(), b("b"));
            src.put("auth", b("enabled"), b("1"));
            src.setConsistentIndex(9, 2);
            try (Backend dst = Backend.open(dir.resolve("dst"))) {
                src.forEachRecord((bucket, k, v) -> {
                    exported.add(bucket + ":" + Arrays.toString(k) + "=" + Arrays.toString(v));
                    dst.put(bucket, k, v);
                });
                assertEquals(9, dst.consistentIndex(), "the export carries the consistent index");
                assertEquals(2, dst.consistentTerm());
                List<String> imported = new ArrayList<>();
                dst.forEachRecord((bucket, k, v) -> imported.add(bucket + ":" + Arrays.toString(k) + "=" + Arrays.toString(v)));
                assertEquals(exported, imported);
            }
        }
        assertTrue(exported.get(0).startsWith("auth:"), "buckets in name order: " + exported);
        assertEquals(5, exported.size(), exported.toString());
    }

    @Test
    void sizesAreReported() {
        try (Backend be = Backend.open(dir.resolve("db"))) {
            for (int i = 0; i < 200; i++) {
                be.put(Backend.KEY_BUCKET, new Revision(i + 2, 0).toBytes(), new byte[1000]);
            }
            assertTrue(be.sizeBytes() >= 200_000, "file size " + be.sizeBytes());
            assertTrue(be.sizeInUseBytes() > 0 && be.sizeInUseBytes() <= be.sizeBytes(),
                    be.sizeInUseBytes() + " of " + be.sizeBytes());
        }
    }
}
