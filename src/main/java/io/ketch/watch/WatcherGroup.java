package io.ketch.watch;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A set of watchers indexed by the keys they watch (etcd's watcherGroup): single-key
 * watchers in a hash map, range watchers grouped by identical range in a sorted interval
 * index, so that finding the watchers of a key costs a hash lookup plus a binary search and
 * a short walk, not a scan of every watcher.
 *
 * <p>Not thread-safe: the {@link WatchableStore} guards it with its lock.
 */
final class WatcherGroup {
    /** Watchers of one identical range; their order is the order they were added. */
    private static final class RangeEntry {
        final KeyRange range;
        final List<Watcher> watchers = new ArrayList<>(2);

        RangeEntry(KeyRange range) {
            this.range = range;
        }
    }

    private final Map<ByteString, List<Watcher>> singleKey = new HashMap<>();
    private final Map<KeyRange, RangeEntry> ranges = new HashMap<>();
    private int size;

    // The interval index over `ranges`, rebuilt lazily after a change of the set of ranges:
    // entries sorted by range start, and for each position the largest range end among the
    // entries up to it (null for +infinity), so that a stab can stop walking left as soon as
    // no earlier entry reaches the key.
    private RangeEntry[] sorted = new RangeEntry[0];
    private ByteString[] maxEndUpTo = new ByteString[0];
    private boolean indexStale;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void add(Watcher w) {
        KeyRange r = w.range();
        if (r.isSingleKey()) {
            singleKey.computeIfAbsent(r.key(), k -> new ArrayList<>(2)).add(w);
        } else {
            RangeEntry e = ranges.get(r);
            if (e == null) {
                e = new RangeEntry(r);
                ranges.put(r, e);
                indexStale = true;
            }
            e.watchers.add(w);
        }
        size++;
    }

    /** Removes w if present; returns whether it was. */
    boolean remove(Watcher w) {
        KeyRange r = w.range();
        if (r.isSingleKey()) {
            List<Watcher> l = singleKey.get(r.key());
            if (l == null || !removeIdentity(l, w)) {
                return false;
            }
            if (l.isEmpty()) {
                singleKey.remove(r.key());
            }
        } else {
            RangeEntry e = ranges.get(r);
            if (e == null || !removeIdentity(e.watchers, w)) {
                return false;
            }
            if (e.watchers.isEmpty()) {
                ranges.remove(r);
                indexStale = true;
            }
        }
        size--;
        return true;
    }

    private static boolean removeIdentity(List<Watcher> l, Watcher w) {
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i) == w) {
                l.remove(i);
                return true;
            }
        }
        return false;
    }

    /** Calls visitor once for each watcher whose range contains key. */
    void forEachWatching(ByteString key, Consumer<Watcher> visitor) {
        List<Watcher> exact = singleKey.get(key);
        if (exact != null) {
            for (int i = 0; i < exact.size(); i++) {
                visitor.accept(exact.get(i));
            }
        }
        if (ranges.isEmpty()) {
            return;
        }
        if (indexStale) {
            rebuildIndex();
        }
        // the last entry starting at or before key; walk left while some entry can reach key
        int i = lastStartingAtOrBefore(key);
        while (i >= 0 && reaches(maxEndUpTo[i], key)) {
            RangeEntry e = sorted[i];
            if (reaches(e.range.end(), key)) {
                List<Watcher> ws = e.watchers;
                for (int j = 0; j < ws.size(); j++) {
                    visitor.accept(ws.get(j));
                }
            }
            i--;
        }
    }

    /** Whether any watcher's range contains key. */
    boolean anyWatching(ByteString key) {
        boolean[] found = {false};
        forEachWatching(key, w -> found[0] = true);
        return found[0];
    }

    /** A range end (empty: +infinity) lies above key. */
    private static boolean reaches(ByteString end, ByteString key) {
        return end.isEmpty() || KeyRange.BYTES.compare(key, end) < 0;
    }

    private int lastStartingAtOrBefore(ByteString key) {
        int lo = 0;
        int hi = sorted.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (KeyRange.BYTES.compare(sorted[mid].range.key(), key) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private void rebuildIndex() {
        sorted = ranges.values().toArray(new RangeEntry[0]);
        Arrays.sort(sorted, (a, b) -> KeyRange.BYTES.compare(a.range.key(), b.range.key()));
        maxEndUpTo = new ByteString[sorted.length];
        ByteString max = null;
        for (int i = 0; i < sorted.length; i++) {
            ByteString end = sorted[i].range.end();
            if (max == null || laterEnd(end, max)) {
                max = end;
            }
            maxEndUpTo[i] = max;
        }
        indexStale = false;
    }

    /** Range end a lies beyond range end b (an empty end is +infinity). */
    private static boolean laterEnd(ByteString a, ByteString b) {
        if (b.isEmpty()) {
            return false;
        }
        return a.isEmpty() || KeyRange.BYTES.compare(a, b) > 0;
    }

    /** Every watcher of the group, for moving them all (e.g. after a gap in notifications). */
    List<Watcher> all() {
        List<Watcher> out = new ArrayList<>(size);
        singleKey.values().forEach(out::addAll);
        ranges.values().forEach(e -> out.addAll(e.watchers));
        return out;
    }
}
