package io.ketch.mvcc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TreeIndexTest {

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static List<String> keys(TreeIndex.RangeResult r) {
        List<String> out = new ArrayList<>();
        for (byte[] k : r.keys()) {
            out.add(new String(k, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    static Revision rev(long main) {
        return new Revision(main, 0);
    }

    private static TreeIndex fooFoo1Foo2() {
        TreeIndex ti = new TreeIndex();
        ti.put(b("foo"), rev(1));
        ti.put(b("foo1"), rev(2));
        ti.put(b("foo2"), rev(3));
        return ti;
    }

    @Test
    void rangeFollowsEtcdEndConventions() {
        TreeIndex ti = fooFoo1Foo2();
        assertEquals(List.of(), keys(ti.range(b("bar"), null, 3, 0)), "missing single key");
        assertEquals(List.of("foo"), keys(ti.range(b("foo"), null, 3, 0)), "single key, null end");
        assertEquals(List.of("foo"), keys(ti.range(b("foo"), new byte[0], 3, 0)), "single key, empty end");
        assertEquals(List.of("foo"), keys(ti.range(b("foo"), b("foo1"), 3, 0)));
        assertEquals(List.of("foo", "foo1"), keys(ti.range(b("foo"), b("foo2"), 3, 0)));
        assertEquals(List.of("foo", "foo1", "foo2"), keys(ti.range(b("foo"), b("fop"), 3, 0)));
        assertEquals(List.of("foo1", "foo2"), keys(ti.range(b("foo1"), b("fop"), 3, 0)));
        assertEquals(List.of("foo2"), keys(ti.range(b("foo2"), b("fop"), 3, 0)));
        assertEquals(List.of(), keys(ti.range(b("foo3"), b("fop"), 3, 0)));
        assertEquals(List.of("foo1", "foo2"), keys(ti.range(b("foo1"), new byte[] {0}, 3, 0)), "\\0 end: every key >= key");
        assertEquals(List.of(), keys(ti.range(b("fop"), b("foo"), 3, 0)), "end before key");
        assertEquals(List.of(rev(1), rev(2), rev(3)), ti.range(b("foo"), b("fop"), 3, 0).revisions());
    }

    @Test
    void rangeReadsAtARevisionAndCountsAllMatchesDespiteTheLimit() {
        TreeIndex ti = fooFoo1Foo2();
        assertEquals(List.of("foo", "foo1"), keys(ti.range(b("a"), new byte[] {0}, 2, 0)));
        TreeIndex.RangeResult r = ti.range(b("a"), new byte[] {0}, 3, 2);
        assertEquals(List.of("foo", "foo1"), keys(r));
        assertEquals(3, r.total());
        assertEquals(3, ti.count(b("a"), new byte[] {0}, 3));
        assertEquals(1, ti.count(b("a"), new byte[] {0}, 1));
        assertEquals(0, ti.count(b("a"), new byte[] {0}, 0));
    }

    @Test
    void keysAreOrderedByUnsignedBytes() {
        TreeIndex ti = new TreeIndex();
        ti.put(new byte[] {(byte) 0x80}, rev(2));
        ti.put(new byte[] {0x7f}, rev(3));
        ti.put(new byte[] {(byte) 0xff, 0}, rev(4));
        ti.put(new byte[] {0x01}, rev(5));
        TreeIndex.RangeResult r = ti.range(new byte[] {0}, new byte[] {0}, 5, 0);
        assertEquals(List.of(rev(5), rev(3), rev(2), rev(4)), r.revisions());
        // [0x7f, 0x81) holds 0x7f and 0x80 only
        assertEquals(2, ti.count(new byte[] {0x7f}, new byte[] {(byte) 0x81}, 5));
    }

    @Test
    void tombstoneHidesTheKeyAndCannotBeRepeated() {
        TreeIndex ti = new TreeIndex();
        ti.put(b("foo"), rev(1));
        assertTrue(ti.tombstone(b("foo"), rev(2)));
        assertNull(ti.get(b("foo"), 2));
        assertEquals(rev(1), ti.get(b("foo"), 1).modified());
        assertFalse(ti.tombstone(b("foo"), rev(3)));
        assertFalse(ti.tombstone(b("nope"), rev(3)));
    }

    @Test
    void rangeSinceReturnsRevisionsInRevisionOrder() {
        String[] ks = {"foo", "foo1", "foo2", "foo2", "foo1", "foo"};
        TreeIndex ti = new TreeIndex();
        for (int i = 0; i < ks.length; i++) {
            ti.put(b(ks[i]), rev(i + 1));
        }
        assertEquals(List.of(), ti.rangeSince(b("bar"), null, 1));
        assertEquals(List.of(rev(1), rev(6)), ti.rangeSince(b("foo"), null, 1));
        assertEquals(List.of(rev(1), rev(6)), ti.rangeSince(b("foo"), b("foo1"), 1));
        assertEquals(List.of(rev(1), rev(2), rev(5), rev(6)), ti.rangeSince(b("foo"), b("foo2"), 1));
        assertEquals(List.of(rev(1), rev(2), rev(3), rev(4), rev(5), rev(6)), ti.rangeSince(b("foo"), b("fop"), 1));
        assertEquals(List.of(rev(2), rev(3), rev(4), rev(5)), ti.rangeSince(b("foo1"), b("fop"), 1));
        assertEquals(List.of(rev(3), rev(4)), ti.rangeSince(b("foo2"), b("fop"), 1));
        assertEquals(List.of(), ti.rangeSince(b("foo3"), b("fop"), 1));
        assertEquals(List.of(rev(5), rev(6)), ti.rangeSince(b("foo"), b("fop"), 5));
    }

    /** key, remove, rev, created, version (etcd's TestIndexCompactAndKeep history). */
    private static final Object[][] HISTORY = {
        {"foo", false, new Revision(1, 0), new Revision(1, 0), 1L},
        {"foo1", false, new Revision(2, 0), new Revision(2, 0), 1L},
        {"foo2", false, new Revision(3, 0), new Revision(3, 0), 1L},
        {"foo2", false, new Revision(4, 0), new Revision(3, 0), 2L},
        {"foo", false, new Revision(5, 0), new Revision(1, 0), 2L},
        {"foo1", false, new Revision(6, 0), new Revision(2, 0), 2L},
        {"foo1", true, new Revision(7, 0), null, 0L},
        {"foo2", true, new Revision(8, 0), null, 0L},
        {"foo", true, new Revision(9, 0), null, 0L},
        {"foo", false, new Revision(10, 0), new Revision(10, 0), 1L},
        {"foo1", false, new Revision(10, 1), new Revision(10, 1), 1L},
    };

    private static TreeIndex historyIndex() {
        TreeIndex ti = new TreeIndex();
        for (Object[] h : HISTORY) {
            if ((Boolean) h[1]) {
                ti.tombstone(b((String) h[0]), (Revision) h[2]);
            } else {
                ti.put(b((String) h[0]), (Revision) h[2]);
            }
        }
        return ti;
    }

    /** What a restore from the records surviving a compaction at rev would build. */
    private static TreeIndex restoredAfter(long rev, Set<Revision> keep) {
        TreeIndex w = new TreeIndex();
        for (Object[] h : HISTORY) {
            Revision r = (Revision) h[2];
            if (!keep.contains(r) && !r.greaterThan(new Revision(rev, 0))) {
                continue;
            }
            byte[] k = b((String) h[0]);
            if ((Boolean) h[1]) {
                w.tombstone(k, r);
            } else if (w.keyIndex(k) != null) {
                w.put(k, r);
            } else {
                KeyIndex ki = new KeyIndex(k);
                ki.restore((Revision) h[3], r, (Long) h[4]);
                w.insert(ki);
            }
        }
        return w;
    }

    @Test
    void compactionEqualsARestoreOfTheSurvivingRecordsAndKeepMatchesCompact() {
        TreeIndex ti = historyIndex();
        for (long i = 1; i < 20; i++) {
            Set<Revision> keep = ti.keep(i);
            Set<Revision> am = ti.compact(i);
            assertEquals(keep, am, "keep vs compact at " + i);
            assertTrue(ti.sameAs(restoredAfter(i, am)), "continuous compaction at " + i);
        }
        for (long i = 1; i < 20; i++) {
            TreeIndex once = historyIndex();
            Set<Revision> keep = once.keep(i);
            Set<Revision> am = once.compact(i);
            assertEquals(keep, am, "keep vs compact once at " + i);
            assertTrue(once.sameAs(restoredAfter(i, am)), "single compaction at " + i);
        }
    }

    @Test
    void compactionRemovesKeysWithNothingLeft() {
        TreeIndex ti = historyIndex();
        ti.compact(9);
        assertEquals(2, ti.size(), "foo and foo1 live again at 10; foo2 is gone");
        assertNull(ti.keyIndex(b("foo2")));
        assertEquals(Set.of(), historyIndex().compact(9), "every key is deleted at 9");
        assertEquals(Set.of(new Revision(10, 0), new Revision(10, 1)), historyIndex().compact(10));
    }
}
