package io.ketch.watch;

import static io.ketch.watch.WatchHarness.bs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WatcherGroupTest {
    private long ids;

    private Watcher w(KeyRange r) {
        return new Watcher(ids++, null, r, false, false, false, false, false);
    }

    private static List<Long> stab(WatcherGroup g, String key) {
        List<Long> out = new ArrayList<>();
        g.forEachWatching(bs(key), x -> out.add(x.id));
        out.sort(null);
        return out;
    }

    @Test
    void findsSingleKeysRangesAndFromKeyRanges() {
        WatcherGroup g = new WatcherGroup();
        g.add(w(KeyRange.single(bs("b")))); // 0
        g.add(w(new KeyRange(bs("a"), bs("c")))); // 1
        g.add(w(new KeyRange(bs("a"), bs("c")))); // 2: same range
        g.add(w(new KeyRange(bs("bb"), ByteString.EMPTY))); // 3: from bb on
        g.add(w(KeyRange.prefix(bs("b")))); // 4: [b, c)
        assertEquals(List.of(1L, 2L), stab(g, "a"));
        assertEquals(List.of(0L, 1L, 2L, 4L), stab(g, "b"));
        assertEquals(List.of(1L, 2L, 3L, 4L), stab(g, "bz"));
        assertEquals(List.of(3L), stab(g, "c"));
        assertEquals(List.of(), stab(g, "0"));
        assertEquals(5, g.size());
    }

    @Test
    void removesWatchersAndKeepsTheIndexRight() {
        WatcherGroup g = new WatcherGroup();
        Watcher a = w(new KeyRange(bs("a"), bs("z")));
        Watcher b = w(new KeyRange(bs("a"), bs("z")));
        Watcher c = w(KeyRange.single(bs("m")));
        g.add(a);
        g.add(b);
        g.add(c);
        assertTrue(g.remove(a));
        assertFalse(g.remove(a));
        assertEquals(List.of(1L, 2L), stab(g, "m"));
        assertTrue(g.remove(b));
        assertTrue(g.remove(c));
        assertTrue(g.isEmpty());
        assertEquals(List.of(), stab(g, "m"));
    }

    @Test
    void agreesWithABruteForceScanOnRandomRanges() {
        Random rnd = new Random(7);
        WatcherGroup g = new WatcherGroup();
        List<Watcher> all = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String a = key(rnd);
            String b = key(rnd);
            KeyRange r = switch (rnd.nextInt(4)) {
                case 0 -> KeyRange.single(bs(a));
                case 1 -> new KeyRange(bs(a), ByteString.EMPTY);
                default -> a.compareTo(b) < 0 ? new KeyRange(bs(a), bs(b)) : KeyRange.prefix(bs(b));
            };
            Watcher x = w(r);
            all.add(x);
            g.add(x);
            if (rnd.nextInt(5) == 0) {
                Watcher gone = all.remove(rnd.nextInt(all.size()));
                assertTrue(g.remove(gone));
            }
            String probe = key(rnd);
            List<Long> expected = all.stream().filter(y -> y.range.contains(bs(probe))).map(y -> y.id).sorted().toList();
            assertEquals(expected, stab(g, probe), "key " + probe);
        }
    }

    private static String key(Random rnd) {
        int n = 1 + rnd.nextInt(3);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append((char) ('a' + rnd.nextInt(4)));
        }
        return s.toString();
    }

    @Test
    void keyRangesAreNormalizedAsEtcdDoes() {
        assertEquals(KeyRange.single(bs("\0")), KeyRange.fromRequest(ByteString.EMPTY, ByteString.EMPTY));
        assertEquals(new KeyRange(bs("\0"), ByteString.EMPTY), KeyRange.fromRequest(ByteString.EMPTY, bs("\0")));
        assertEquals(new KeyRange(bs("a"), bs("b")), KeyRange.fromRequest(bs("a"), bs("b")));
        assertTrue(KeyRange.fromRequest(bs("b"), bs("a")).isEmpty());
        assertTrue(KeyRange.fromRequest(bs("a"), bs("a")).isEmpty());
        assertFalse(KeyRange.fromRequest(bs("a"), bs("\0")).isEmpty());
        assertEquals(bs("b"), KeyRange.prefixEnd(bs("a")));
        assertEquals(bs("b"), KeyRange.prefixEnd(ByteString.copyFrom(new byte[] {'a', (byte) 0xff})));
        assertEquals(ByteString.EMPTY, KeyRange.prefixEnd(ByteString.copyFrom(new byte[] {(byte) 0xff})));
    }
}
