package io.ketch.mvcc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class RevisionTest {

    @Test
    void encodesAsEtcdRevBytesBigEndianMainUnderscoreBigEndianSub() {
        byte[] b = new Revision(0x0102030405060708L, 0x1112131415161718L).toBytes();
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, '_', 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}, b);
        assertEquals(17, new Revision(5, 0).toBytes().length);
    }

    @Test
    void tombstoneEncodingAppendsTheMarkT() {
        byte[] b = new Revision(2, 1).toTombstoneBytes();
        assertEquals(18, b.length);
        assertEquals('t', b[17]);
        assertTrue(Revision.isTombstone(b));
        assertFalse(Revision.isTombstone(new Revision(2, 1).toBytes()));
        assertEquals(new Revision(2, 1), Revision.fromBytes(b));
    }

    @Test
    void decodingRoundTrips() {
        for (Revision r : List.of(new Revision(1, 0), new Revision(300, 7), new Revision(Long.MAX_VALUE, Long.MAX_VALUE))) {
            assertEquals(r, Revision.fromBytes(r.toBytes()));
        }
    }

    @Test
    void unsignedByteOrderOfEncodingsIsRevisionOrder() {
        List<Revision> revs = new ArrayList<>();
        for (long m : new long[] {1, 2, 255, 256, 65535, 1L << 40, Long.MAX_VALUE}) {
            for (long s : new long[] {0, 1, 200, 1000}) {
                revs.add(new Revision(m, s));
            }
        }
        for (Revision a : revs) {
            for (Revision b : revs) {
                assertEquals(Integer.signum(a.compareTo(b)),
                        Integer.signum(Arrays.compareUnsigned(a.toBytes(), b.toBytes())), a + " vs " + b);
            }
        }
        // a tombstone sorts right after the plain encoding of the same revision
        assertTrue(Arrays.compareUnsigned(new Revision(3, 0).toTombstoneBytes(), new Revision(3, 1).toBytes()) < 0);
    }

    @Test
    void greaterThanComparesMainThenSub() {
        assertTrue(new Revision(2, 0).greaterThan(new Revision(1, 9)));
        assertTrue(new Revision(2, 1).greaterThan(new Revision(2, 0)));
        assertFalse(new Revision(2, 0).greaterThan(new Revision(2, 0)));
    }
}
