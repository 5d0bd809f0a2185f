package io.ketch.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ketch.pb.mvcc.Event;
import io.ketch.pb.mvcc.KeyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentHistoryTest {
    private static List<Event> put(String key, long rev, int valueBytes) {
        return List.of(Event.newBuilder().setKv(KeyValue.newBuilder().setKey(WatchHarness.bs(key)).setModRevision(rev)
                .setValue(WatchHarness.bs("v".repeat(valueBytes)))).build());
    }

    @Test
    void keepsTheNewestRevisionsWithoutAGap() {
        RecentHistory h = new RecentHistory(3, 1 << 20, 1);
        assertEquals(2, h.firstRevision()); // empty: everything after 1
        for (long r = 2; r <= 6; r++) {
            h.add(r, put("k" + r, r, 1));
        }
        assertEquals(4, h.firstRevision());
        assertEquals("k5", h.eventsAt(5).get(0).getKv().getKey().toStringUtf8());
        assertThrows(IllegalArgumentException.class, () -> h.eventsAt(3));
        assertThrows(IllegalArgumentException.class, () -> h.eventsAt(7));
    }

    @Test
    void dropsOldRevisionsPastItsMemoryBoundButKeepsTheNewest() {
        RecentHistory h = new RecentHistory(100, 250, 1);
        h.add(2, put("a", 2, 100));
        h.add(3, put("b", 3, 100));
        assertEquals(2, h.firstRevision());
        h.add(4, put("c", 4, 100));
        assertEquals(3, h.firstRevision());
        h.add(5, put("d", 5, 1000)); // alone over the bound: kept, the rest dropped
        assertEquals(5, h.firstRevision());
    }

    @Test
    void aRevisionOutOfSequenceRestartsTheHistory() {
        RecentHistory h = new RecentHistory(10, 1 << 20, 1);
        h.add(2, put("a", 2, 1));
        h.add(5, put("b", 5, 1));
        assertEquals(5, h.firstRevision());
    }
}
