package io.ketch.mvcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


class BackendDefragTest {
    static final int KEYS = 3000;
    static final String BIG = "x".repeat(2000);

    @TempDir
    Path dir;

    /** Every record of every bucket as "bucket/key-hex=value-hex", in order. */
    static List<String> dump(Backend be) {
        List<String> out = new ArrayList<>();
        be.forEachRecord((bucket, k, v) -> out.add(bucket + "/" + Arrays.toString(k) + "=" + Arrays.hashCode(v) + ":" + v.length));
        return out;
    }

    static List<String> keyRecords(Backend be) {
        List<String> out = new ArrayList<>();
        java.util.Iterator<java.util.Map.Entry<byte[], byte[]>> it = be.iterator(Backend.KEY_BUCKET, null, null);
        while (it.hasNext()) {
            java.util.Map.Entry<byte[], byte[]> e = it.next();
            out.add(Arrays.toString(e.getKey()) + "=" + Arrays.hashCode(e.getValue()));
        }
        return out;
    }

    /** 3000 keys of 2 KB, then all but every tenth deleted and the history compacted away. */
    static StoreHarness fragmented(Path file) {
        StoreHarness h = StoreHarness.open(file);
        for (int i = 0; i < KEYS; i++) {
            h.put(String.format("k%05d", i), BIG + i);
        }
        for (int i = 0; i < KEYS; i++) {
            if (i % 10 != 0) {
                h.delete(String.format("k%05d", i), null);
            }
        }
        h.store.compact(h.store.currentRevision());
        h.backend.put("lease", StoreHarness.b("l1"), StoreHarness.b("lease record"));
        return h;
    }

    @Test
    void defragmentShrinksTheFileAndKeepsEveryRecordAndTheConsistentIndex() {
        Path f = dir.resolve("db");
        StoreHarness h = fragmented(f);
        long rev = h.store.currentRevision();
        long index = h.raftIndex;
        List<String> before = dump(h.backend);
        long sizeBefore = h.backend.sizeBytes();

        h.backend.defragment();

        long sizeAfter = h.backend.sizeBytes();
        assertTrue(sizeAfter * 2 < sizeBefore, "file shrinks: " + sizeBefore + " -> " + sizeAfter);
        assertTrue(h.backend.sizeInUseBytes() <= sizeAfter);
        assertEquals(before, dump(h.backend));
        assertEquals(index, h.backend.consistentIndex());
        assertEquals(BIG + 10, StoreHarness.s(h.get("k00010").getValue()));
        assertNull(h.get("k00011"));

        // the store keeps working on the compacted file, and everything survives a restart
        h.put("after", "defrag");
        List<String> expected = dump(h.backend);
        h = h.reopen();
        assertTrue(h.backend.wasClosedCleanly());
        assertEquals(expected, dump(h.backend));
        assertEquals(rev + 1, h.store.currentRevision());
        assertEquals(index + 1, h.backend.consistentIndex());
        assertEquals(KEYS / 10 + 1, h.range("k", "l").count() + h.range("after", null).count());
        assertArrayEquals(StoreHarness.b("lease record"), h.backend.get("lease", StoreHarness.b("l1")));
        h.close();
    }

    @Test
    void readsDuringDefragmentSeeTheSameData() throws Exception {
        StoreHarness h = fragmented(dir.resolve("db"));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        List<String> keyRecords = keyRecords(h.backend);
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    // straight from the file (the store's value cache would hide it)
                    if (!keyRecords.equals(keyRecords(h.backend))) {
                        throw new AssertionError("key bucket changed under a reader");
                    }
                    reads.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        h.backend.defragment();
        h.backend.defragment();
        stop.set(true);
        reader.join();
        if (failure.get() != null) {
            throw new AssertionError("reader failed during defragment", failure.get());
        }
        assertTrue(reads.get() > 0);
        h.close();
    }
}
