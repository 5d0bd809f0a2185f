package io.ketch.mvcc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The in-memory index of the key space: key -> {@link KeyIndex}, ordered by unsigned
 * lexicographic byte order (etcd's bytes.Compare), as etcd's treeIndex.
 *
 * <p>Range ends follow etcd's conventions at this level: an empty (or null) end means the
 * single key; the one-byte end {@code "\0"} means every key >= key; otherwise [key, end).
 *
 * <p>Not thread-safe: {@link MvccStore} serialises mutations against readers.
 */
public final class TreeIndex {

    /** Keys and the revisions holding their values, in key order, plus the total match count. */
    public record RangeResult(List<byte[]> keys, List<Revision> revisions, long total) {}

    private final TreeMap<byte[], KeyIndex> tree = new TreeMap<>(Arrays::compareUnsigned);

    /** True if {@code end} denotes "every key >= key" (etcd's "\0" range end). */
    public static boolean isFromKey(byte[] end) {
        return end != null && end.length == 1 && end[0] == 0;
    }

    /** True if {@code end} denotes a single key. */
    public static boolean isSingleKey(byte[] end) {
        return end == null || end.length == 0;
    }

    public int size() {
        return tree.size();
    }

    public KeyIndex keyIndex(byte[] key) {
        return tree.get(key);
    }

    /** Records a put of {@code key} at (main, sub); returns the key index (new if needed). */
    public KeyIndex put(byte[] key, long main, long sub) {
        KeyIndex ki = tree.get(key);
        if (ki == null) {
            ki = new KeyIndex(key);
            ki.put(main, sub);
            tree.put(key, ki);
        } else {
            ki.put(main, sub);
        }
        return ki;
    }

    public void put(byte[] key, Revision rev) {
        put(key, rev.main(), rev.sub());
    }

    /** Records a deletion; false if the key is unknown or already deleted. */
    public boolean tombstone(byte[] key, long main, long sub) {
        KeyIndex ki = tree.get(key);
        if (ki == null) {
            return false;
        }
        return ki.tombstone(main, sub);
    }

    public boolean tombstone(byte[] key, Revision rev) {
        return tombstone(key, rev.main(), rev.sub());
    }

    /** The state of {@code key} at atRev, or null if it did not exist then. */
    public KeyIndex.Get get(byte[] key, long atRev) {
        KeyIndex ki = tree.get(key);
        return ki == null ? null : ki.get(atRev);
    }

    /** Adds a key index built elsewhere (restore); replaces any index of the same key. */
    public void insert(KeyIndex ki) {
        tree.put(ki.key(), ki);
    }

    /** Removes a key index (undo of a txn that created it). */
    void remove(byte[] key) {
        tree.remove(key);
    }

    /** The key indexes in [key, end) per the range-end conventions. */
    private Iterable<KeyIndex> visit(byte[] key, byte[] end) {
        if (isSingleKey(end)) {
            KeyIndex ki = tree.get(key);
            return ki == null ? Collections.emptyList() : List.of(ki);
        }
        NavigableMap<byte[], KeyIndex> sub;
        if (isFromKey(end)) {
            sub = tree.tailMap(key, true);
        } else {
            if (Arrays.compareUnsigned(key, end) >= 0) {
                return Collections.emptyList();
            }
            sub = tree.subMap(key, true, end, false);
        }
        return sub.values();
    }

    /**
     * The keys alive at atRev in the range and the revisions holding their values, at most
     * {@code limit} of them (0 = no limit), with the total number of matching keys.
     */
    public RangeResult range(byte[] key, byte[] end, long atRev, long limit) {
        List<byte[]> keys = new ArrayList<>();
        List<Revision> revs = new ArrayList<>();
        long total = 0;
        long[] r = new long[2];
        for (KeyIndex ki : visit(key, end)) {
            if (!ki.revisionAt(atRev, r)) {
                continue;
            }
            if (limit <= 0 || total < limit) {
                keys.add(ki.key());
                revs.add(new Revision(r[0], r[1]));
            }
            total++;
        }
        return new RangeResult(keys, revs, total);
    }

    /** The number of keys alive at atRev in the range. */
    public long count(byte[] key, byte[] end, long atRev) {
        long total = 0;
        long[] r = new long[2];
        for (KeyIndex ki : visit(key, end)) {
            if (ki.revisionAt(atRev, r)) {
                total++;
            }
        }
        return total;
    }

    /** The revisions (main >= rev) of the keys in the range, sorted by revision (for watch). */
    public List<Revision> rangeSince(byte[] key, byte[] end, long rev) {
        List<Revision> revs = new ArrayList<>();
        for (KeyIndex ki : visit(key, end)) {
            revs.addAll(ki.since(rev));
        }
        if (!isSingleKey(end)) {
            Collections.sort(revs);
        }
        return revs;
    }

    /**
     * Compacts every key index at rev, removes key indexes left empty, and returns the
     * revisions <= rev that must stay in the backend (the keep set).
     */
    public Set<Revision> compact(long rev) {
        Set<Revision> available = new HashSet<>();
        Iterator<Map.Entry<byte[], KeyIndex>> it = tree.entrySet().iterator();
        while (it.hasNext()) {
            KeyIndex ki = it.next().getValue();
            ki.compact(rev, available);
            if (ki.isEmpty()) {
                it.remove();
            }
        }
        return available;
    }

    /** The revisions a compaction at rev would keep; changes nothing. */
    public Set<Revision> keep(long rev) {
        Set<Revision> available = new HashSet<>();
        for (KeyIndex ki : tree.values()) {
            ki.keep(rev, available);
        }
        return available;
    }

    /** Structural equality with another index (tests: restore == live). */
    public boolean sameAs(TreeIndex o) {
        if (tree.size() != o.tree.size()) {
            return false;
        }
        for (KeyIndex ki : tree.values()) {
            KeyIndex other = o.tree.get(ki.key());
            if (other == null || !ki.sameAs(other)) {
                return false;
            }
        }
        return true;
    }
}
