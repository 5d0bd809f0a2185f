package io.ketch.mvcc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** The cases of etcd's key_index_test.go, written against KeyIndex. */
class KeyIndexTest {

    /**
     * put(2) put(4) del(6) put(8) put(10) del(12) put(14.0) put(14.1) del(16):
     * {2,4,6t} {8,10,12t} {14.0,14.1,16t} {}
     */
    static KeyIndex threeLives() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        ki.put(2, 0);
        ki.put(4, 0);
        ki.tombstone(6, 0);
        ki.put(8, 0);
        ki.put(10, 0);
        ki.tombstone(12, 0);
        ki.put(14, 0);
        ki.put(14, 1);
        ki.tombstone(16, 0);
        return ki;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** "{c=2.0 v=3: 2.0 4.0 6.0} {}" */
    static String dump(KeyIndex ki) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ki.generationCount(); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            List<Revision> revs = ki.generationRevisions(i);
            if (revs.isEmpty()) {
                sb.append("{}");
                continue;
            }
            sb.append("{c=").append(ki.generationCreated(i)).append(" v=").append(ki.generationVersion(i)).append(':');
            for (Revision r : revs) {
                sb.append(' ').append(r);
            }
            sb.append('}');
        }
        return sb.toString();
    }

    static Set<Revision> revs(String... rs) {
        Set<Revision> s = new HashSet<>();
        for (String r : rs) {
            String[] p = r.split("\\.");
            s.add(new Revision(Long.parseLong(p[0]), p.length > 1 ? Long.parseLong(p[1]) : 0));
        }
        return s;
    }

    @Test
    void getReturnsModifiedCreatedAndVersionPerGenerationAndNothingInTheGaps() {
        KeyIndex ki = threeLives();
        ki.compact(4, new HashSet<>());
        // atRev -> expected "mod created version" or null
        Object[][] cases = {
            {17L, null}, {16L, null},
            {15L, "14.1 14.0 2"}, {14L, "14.1 14.0 2"},
            {13L, null}, {12L, null},
            {11L, "10.0 8.0 2"}, {10L, "10.0 8.0 2"}, {9L, "8.0 8.0 1"}, {8L, "8.0 8.0 1"},
            {7L, null}, {6L, null},
            {5L, "4.0 2.0 2"}, {4L, "4.0 2.0 2"},
            {3L, null}, {2L, null}, {1L, null}, {0L, null},
        };
        for (Object[] c : cases) {
            KeyIndex.Get g = ki.get((Long) c[0]);
            if (c[1] == null) {
                assertNull(g, "at " + c[0]);
            } else {
                assertEquals(c[1], g.modified() + " " + g.created() + " " + g.version(), "at " + c[0]);
            }
        }
    }

    @Test
    void sinceReturnsRevisionsFromRevKeepingOnlyTheLastSubOfAMain() {
        KeyIndex ki = threeLives();
        ki.compact(4, new HashSet<>());
        List<Revision> all = List.of(new Revision(4, 0), new Revision(6, 0), new Revision(8, 0),
                new Revision(10, 0), new Revision(12, 0), new Revision(14, 1), new Revision(16, 0));
        Object[][] cases = {
            {17L, 7}, {16L, 6}, {15L, 6}, {14L, 5}, {13L, 5}, {12L, 4}, {11L, 4}, {10L, 3}, {9L, 3},
            {8L, 2}, {7L, 2}, {6L, 1}, {5L, 1}, {4L, 0}, {3L, 0}, {2L, 0}, {1L, 0}, {0L, 0},
        };
        for (Object[] c : cases) {
            assertEquals(all.subList((Integer) c[1], all.size()), ki.since((Long) c[0]), "since " + c[0]);
        }
    }

    @Test
    void putAppendsToTheCurrentGenerationAndCountsVersions() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        ki.put(5, 0);
        assertEquals("{c=5.0 v=1: 5.0}", dump(ki));
        assertEquals(new Revision(5, 0), ki.modified());
        ki.put(7, 0);
        assertEquals("{c=5.0 v=2: 5.0 7.0}", dump(ki));
        assertEquals(new Revision(7, 0), ki.modified());
    }

    @Test
    void putRejectsARevisionNotNewerThanTheLastModification() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        ki.put(5, 1);
        assertThrows(IllegalStateException.class, () -> ki.put(5, 1));
        assertThrows(IllegalStateException.class, () -> ki.put(5, 0));
        assertThrows(IllegalStateException.class, () -> ki.put(4, 9));
    }

    @Test
    void restoreBuildsOneGenerationFromTheLatestRecord() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        ki.restore(new Revision(5, 0), new Revision(7, 0), 2);
        assertEquals("{c=5.0 v=2: 7.0}", dump(ki));
        assertEquals(new Revision(7, 0), ki.modified());
    }

    @Test
    void tombstoneEndsTheGenerationAndStartsAnEmptyOne() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        ki.put(5, 0);
        assertTrue(ki.tombstone(7, 0));
        assertEquals("{c=5.0 v=2: 5.0 7.0} {}", dump(ki));
        ki.put(8, 0);
        ki.put(9, 0);
        assertTrue(ki.tombstone(15, 0));
        assertEquals("{c=5.0 v=2: 5.0 7.0} {c=8.0 v=3: 8.0 9.0 15.0} {}", dump(ki));
        assertEquals(new Revision(15, 0), ki.modified());
        // deleting a deleted key is refused and changes nothing
        assertFalse(ki.tombstone(16, 0));
        assertEquals("{c=5.0 v=2: 5.0 7.0} {c=8.0 v=3: 8.0 9.0 15.0} {}", dump(ki));
    }

    private static final String FULL = "{c=2.0 v=3: 2.0 4.0 6.0} {c=8.0 v=3: 8.0 10.0 12.0} {c=14.0 v=3: 14.0 14.1 16.0} {}";
    private static final String FROM4 = "{c=2.0 v=3: 4.0 6.0} {c=8.0 v=3: 8.0 10.0 12.0} {c=14.0 v=3: 14.0 14.1 16.0} {}";
    private static final String FROM8 = "{c=8.0 v=3: 8.0 10.0 12.0} {c=14.0 v=3: 14.0 14.1 16.0} {}";
    private static final String FROM10 = "{c=8.0 v=3: 10.0 12.0} {c=14.0 v=3: 14.0 14.1 16.0} {}";
    private static final String FROM14 = "{c=14.0 v=3: 14.0 14.1 16.0} {}";
    private static final String FROM14_1 = "{c=14.0 v=3: 14.1 16.0} {}";

    /** compact rev, expected generations after compaction, expected keep set. */
    private static final Object[][] COMPACTIONS = {
        {1L, FULL, revs()},
        {2L, FULL, revs("2")},
        {3L, FULL, revs("2")},
        {4L, FROM4, revs("4")},
        {5L, FROM4, revs("4")},
        {6L, FROM8, revs()},
        {7L, FROM8, revs()},
        {8L, FROM8, revs("8")},
        {9L, FROM8, revs("8")},
        {10L, FROM10, revs("10")},
        {11L, FROM10, revs("10")},
        {12L, FROM14, revs()},
        {13L, FROM14, revs()},
        {14L, FROM14_1, revs("14.1")},
        {15L, FROM14_1, revs("14.1")},
        {16L, "{}", revs()},
    };

    private static void keepThenCompact(KeyIndex ki, Object[] c) {
        long rev = (Long) c[0];
        String before = dump(ki);
        Set<Revision> keep = new HashSet<>();
        ki.keep(rev, keep);
        assertEquals(before, dump(ki), "keep(" + rev + ") must not change the index");
        assertEquals(new TreeSet<>((Set<?>) c[2]), new TreeSet<>(keep), "keep(" + rev + ")");
        Set<Revision> available = new HashSet<>();
        ki.compact(rev, available);
        assertEquals(c[1], dump(ki), "compact(" + rev + ")");
        assertEquals(new TreeSet<>((Set<?>) c[2]), new TreeSet<>(available), "compact(" + rev + ") keep set");
    }

    @Test
    void continuousCompactionKeepsTheNewestRevisionAtOrBelowAndDropsTombstones() {
        KeyIndex ki = threeLives();
        for (Object[] c : COMPACTIONS) {
            keepThenCompact(ki, c);
        }
        assertTrue(ki.isEmpty());
    }

    @Test
    void jumpCompactionGivesTheSameResultAsContinuous() {
        KeyIndex ki = threeLives();
        for (int i = 0; i < COMPACTIONS.length; i++) {
            if ((i % 2 == 0 && i < 6) || (i % 2 == 1 && i > 6)) {
                keepThenCompact(ki, COMPACTIONS[i]);
            }
        }
    }

    @Test
    void singleCompactionAtEachRevisionGivesTheSameResult() {
        for (Object[] c : COMPACTIONS) {
            keepThenCompact(threeLives(), c);
        }
    }

    @Test
    void compactionBeyondTheLastModificationKeepsTheLatestPut() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        ki.put(1, 0);
        ki.put(2, 0);
        Set<Revision> available = new HashSet<>();
        ki.compact(3, available);
        assertEquals("{c=1.0 v=2: 2.0}", dump(ki));
        assertEquals(revs("2"), available);
        assertEquals(new Revision(2, 0), ki.modified());
    }

    @Test
    void isEmptyOnlyWithOneEmptyGeneration() {
        KeyIndex ki = new KeyIndex(bytes("foo"));
        assertTrue(ki.isEmpty());
        ki.put(1, 0);
        assertFalse(ki.isEmpty());
        ki.tombstone(2, 0);
        assertFalse(ki.isEmpty(), "a deleted key with history is not empty");
        ki.compact(2, new HashSet<>());
        assertTrue(ki.isEmpty());
    }

    @Test
    void findGenerationReturnsTheLifeAtARevisionOrNullInAGap() {
        KeyIndex ki = threeLives();
        Object[][] cases = {
            {0L, -1}, {1L, -1}, {2L, 0}, {3L, 0}, {4L, 0}, {5L, 0}, {6L, -1}, {7L, -1},
            {8L, 1}, {9L, 1}, {10L, 1}, {11L, 1}, {12L, -1}, {13L, -1},
        };
        for (Object[] c : cases) {
            KeyIndex.Generation g = ki.findGeneration((Long) c[0]);
            int want = (Integer) c[1];
            if (want < 0) {
                assertNull(g, "at " + c[0]);
            } else {
                assertSame(ki.findGeneration(want == 0 ? 2 : 8), g, "at " + c[0]);
                assertEquals(want == 0 ? 2 : 8, g.main(0), "at " + c[0]);
            }
        }
    }

    @Test
    void undoRestoresTheExactPreviousState() {
        KeyIndex ki = threeLives();
        KeyIndex before = ki.copy();
        Revision m = ki.modified();
        ki.put(17, 0);
        Revision m2 = ki.modified();
        ki.tombstone(17, 1);
        ki.undoTombstone(m2.main(), m2.sub());
        ki.undoPut(m.main(), m.sub());
        assertTrue(ki.sameAs(before), dump(ki));
        assertEquals(FULL, dump(ki));
    }

    @Test
    void getOnAnEmptyIndexIsABug() {
        assertThrows(IllegalStateException.class, () -> new KeyIndex(bytes("x")).get(1));
    }
}
