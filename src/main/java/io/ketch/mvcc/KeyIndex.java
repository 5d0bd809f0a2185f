package io.ketch.mvcc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The revisions of one key, as etcd's keyIndex: a list of generations, each the life of the
 * key from a creation to a deletion. A deletion appends the tombstone revision to the current
 * generation and starts a new, empty one. The last generation is the current one; it is empty
 * when the key is deleted.
 *
 * <p>Example, for put(2) put(4) delete(6) put(8) put(10) delete(12) put(14.0) put(14.1)
 * delete(16): generations {2,4,6t} {8,10,12t} {14.0,14.1,16t} {}.
 *
 * <p>Revisions are packed into long arrays (main, sub pairs) to keep the index small. Not
 * thread-safe: {@link MvccStore} guards it.
 */
public final class KeyIndex {

    /** The result of {@link #get}: the revision holding the value, the creation, the version. */
    public record Get(Revision modified, Revision created, long version) {}

    /** One life of the key. */
    static final class Generation {
        long ver;
        long createdMain;
        long createdSub;
        /** main, sub pairs in increasing order. */
        long[] revs;
        int n;

        Generation() {
            revs = EMPTY;
        }

        Generation(long ver, long createdMain, long createdSub, long[] revs, int n) {
            this.ver = ver;
            this.createdMain = createdMain;
            this.createdSub = createdSub;
            this.revs = revs;
            this.n = n;
        }

        boolean isEmpty() {
            return n == 0;
        }

        long main(int i) {
            return revs[2 * i];
        }

        long sub(int i) {
            return revs[2 * i + 1];
        }

        Revision rev(int i) {
            return new Revision(revs[2 * i], revs[2 * i + 1]);
        }

        void append(long main, long sub) {
            if (2 * n == revs.length) {
                revs = Arrays.copyOf(revs, Math.max(4, revs.length * 2));
            }
            revs[2 * n] = main;
            revs[2 * n + 1] = sub;
            n++;
        }

        /** Drops the revisions before index {@code from}. */
        void dropBefore(int from) {
            if (from <= 0) {
                return;
            }
            int left = n - from;
            long[] nr = new long[Math.max(4, 2 * left)];
            System.arraycopy(revs, 2 * from, nr, 0, 2 * left);
            revs = nr;
            n = left;
        }

        /**
         * Index of the newest revision with main <= atRev, or -1 if every revision of this
         * generation is newer (etcd's generation.walk with "rev.main > atRev").
         */
        int newestAtOrBefore(long atRev) {
            for (int i = n - 1; i >= 0; i--) {
                if (revs[2 * i] <= atRev) {
                    return i;
                }
            }
            return -1;
        }

        Generation copy() {
            return new Generation(ver, createdMain, createdSub, Arrays.copyOf(revs, revs.length), n);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("g{created=").append(createdMain).append('.').append(createdSub)
                    .append(" ver=").append(ver).append(" revs=[");
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(main(i)).append('.').append(sub(i));
            }
            return sb.append("]}").toString();
        }
    }

    private static final long[] EMPTY = new long[0];

    private final byte[] key;
    private long modMain;
    private long modSub;
    private final ArrayList<Generation> generations = new ArrayList<>(1);

    public KeyIndex(byte[] key) {
        this.key = key;
    }

    public byte[] key() {
        return key;
    }

    /** The last revision that modified the key (put or tombstone). */
    public Revision modified() {
        return new Revision(modMain, modSub);
    }

    /** Records a put at (main, sub), which must be newer than every revision recorded. */
    public void put(long main, long sub) {
        if (!Revision.greaterThan(main, sub, modMain, modSub)) {
            throw new IllegalStateException("put with a revision " + main + "." + sub
                    + " not newer than " + modMain + "." + modSub + " on key index");
        }
        if (generations.isEmpty()) {
            generations.add(new Generation());
        }
        Generation g = generations.get(generations.size() - 1);
        if (g.isEmpty()) {
            g.createdMain = main;
            g.createdSub = sub;
        }
        g.append(main, sub);
        g.ver++;
        modMain = main;
        modSub = sub;
    }

    /**
     * Rebuilds a key index from its latest record only (as etcd does on restore): one
     * generation created at {@code created} holding {@code modified} as version {@code ver}.
     */
    public void restore(Revision created, Revision modified, long ver) {
        if (!generations.isEmpty()) {
            throw new IllegalStateException("restore on a non-empty key index");
        }
        modMain = modified.main();
        modSub = modified.sub();
        Generation g = new Generation();
        g.createdMain = created.main();
        g.createdSub = created.sub();
        g.ver = ver;
        g.append(modified.main(), modified.sub());
        generations.add(g);
    }

    /**
     * Records a deletion at (main, sub): the tombstone ends the current generation and a new
     * empty one starts. Returns false (and changes nothing) if the key is already deleted.
     */
    public boolean tombstone(long main, long sub) {
        if (isEmpty()) {
            throw new IllegalStateException("tombstone on an empty key index");
        }
        if (generations.get(generations.size() - 1).isEmpty()) {
            return false;
        }
        put(main, sub);
        generations.add(new Generation());
        return true;
    }

    /**
     * The state of the key at revision {@code atRev}: the revision holding its value, its
     * creation revision and its version; null if the key did not exist then.
     */
    public Get get(long atRev) {
        if (isEmpty()) {
            throw new IllegalStateException("get on an empty key index");
        }
        Generation g = findGeneration(atRev);
        if (g == null || g.isEmpty()) {
            return null;
        }
        int i = g.newestAtOrBefore(atRev);
        if (i < 0) {
            return null;
        }
        return new Get(g.rev(i), new Revision(g.createdMain, g.createdSub), g.ver - (g.n - i - 1));
    }

    /**
     * The revision holding the key's value at {@code atRev} (main in [0], sub in [1]) written
     * into {@code out}; false if the key did not exist then. Allocation-free form of get.
     */
    boolean revisionAt(long atRev, long[] out) {
        Generation g = findGeneration(atRev);
        if (g == null || g.isEmpty()) {
            return false;
        }
        int i = g.newestAtOrBefore(atRev);
        if (i < 0) {
            return false;
        }
        out[0] = g.main(i);
        out[1] = g.sub(i);
        return true;
    }

    /**
     * The revisions with main >= rev in order; when several share a main revision only the
     * one with the largest sub is returned (the others are invisible outside their txn).
     */
    public List<Revision> since(long rev) {
        if (isEmpty()) {
            throw new IllegalStateException("since on an empty key index");
        }
        int gi;
        for (gi = generations.size() - 1; gi > 0; gi--) {
            Generation g = generations.get(gi);
            if (g.isEmpty()) {
                continue;
            }
            if (Revision.greaterThan(rev, 0, g.createdMain, g.createdSub)) {
                break;
            }
        }
        List<Revision> revs = new ArrayList<>();
        long last = 0;
        for (; gi < generations.size(); gi++) {
            Generation g = generations.get(gi);
            for (int i = 0; i < g.n; i++) {
                long m = g.main(i);
                long s = g.sub(i);
                if (Revision.greaterThan(rev, 0, m, s)) {
                    continue;
                }
                if (m == last) {
                    revs.set(revs.size() - 1, new Revision(m, s));
                    continue;
                }
                revs.add(new Revision(m, s));
                last = m;
            }
        }
        return revs;
    }

    /**
     * Compacts at {@code atRev}: drops every revision <= atRev except the newest one, which
     * is added to {@code available} (the keep set) unless it is a tombstone. Generations that
     * become empty are removed; the key index is then {@link #isEmpty()} if nothing is left.
     */
    public void compact(long atRev, Set<Revision> available) {
        if (isEmpty()) {
            throw new IllegalStateException("compact on an empty key index");
        }
        int[] pos = doCompact(atRev, available);
        int genIdx = pos[0];
        int revIndex = pos[1];
        Generation g = generations.get(genIdx);
        if (!g.isEmpty()) {
            if (revIndex != -1) {
                g.dropBefore(revIndex);
            }
            if (g.n == 1 && genIdx != generations.size() - 1) {
                // the only revision left is a tombstone: nothing of this life is visible
                available.remove(g.rev(0));
                genIdx++;
            }
        }
        if (genIdx > 0) {
            generations.subList(0, genIdx).clear();
        }
    }

    /** Adds to {@code available} the revisions a compaction at atRev would keep; no change. */
    public void keep(long atRev, Set<Revision> available) {
        if (isEmpty()) {
            return;
        }
        int[] pos = doCompact(atRev, available);
        int genIdx = pos[0];
        int revIndex = pos[1];
        Generation g = generations.get(genIdx);
        if (!g.isEmpty() && revIndex == g.n - 1 && genIdx != generations.size() - 1) {
            available.remove(g.rev(revIndex));
        }
    }

    /**
     * Finds the first generation whose tombstone is after atRev (or the current one), and in
     * it the newest revision <= atRev, which is added to available. Returns {genIdx, revIdx}.
     */
    private int[] doCompact(long atRev, Set<Revision> available) {
        int genIdx = 0;
        Generation g = generations.get(0);
        while (genIdx < generations.size() - 1) {
            long tomb = g.main(g.n - 1);
            if (tomb > atRev) {
                break;
            }
            genIdx++;
            g = generations.get(genIdx);
        }
        int revIndex = g.newestAtOrBefore(atRev);
        if (revIndex >= 0) {
            available.add(g.rev(revIndex));
        }
        return new int[] {genIdx, revIndex};
    }

    /** True if the key has no revision left (one empty generation, or none). */
    public boolean isEmpty() {
        return generations.isEmpty() || (generations.size() == 1 && generations.get(0).isEmpty());
    }

    /**
     * The generation the key was in at revision {@code rev}; null if the key did not exist
     * then (before its first creation, or between a deletion and the next creation).
     */
    Generation findGeneration(long rev) {
        int lastg = generations.size() - 1;
        for (int cg = lastg; cg >= 0; cg--) {
            Generation g = generations.get(cg);
            if (g.isEmpty()) {
                continue;
            }
            if (cg != lastg) {
                long tomb = g.main(g.n - 1);
                if (tomb <= rev) {
                    return null;
                }
            }
            if (g.main(0) <= rev) {
                return g;
            }
        }
        return null;
    }

    // ---- undo, for aborting a write transaction (newest change first) ----

    /** Reverts the last {@link #put}; {@code prevMain/prevSub} is the modified revision before it. */
    void undoPut(long prevMain, long prevSub) {
        Generation g = generations.get(generations.size() - 1);
        g.n--;
        g.ver--;
        modMain = prevMain;
        modSub = prevSub;
    }

    /** Reverts the last successful {@link #tombstone}. */
    void undoTombstone(long prevMain, long prevSub) {
        generations.remove(generations.size() - 1);
        undoPut(prevMain, prevSub);
    }

    // ---- inspection, for tests and debugging ----

    int generationCount() {
        return generations.size();
    }

    /** The revisions of generation i. */
    List<Revision> generationRevisions(int i) {
        Generation g = generations.get(i);
        List<Revision> out = new ArrayList<>(g.n);
        for (int j = 0; j < g.n; j++) {
            out.add(g.rev(j));
        }
        return out;
    }

    Revision generationCreated(int i) {
        Generation g = generations.get(i);
        return new Revision(g.createdMain, g.createdSub);
    }

    long generationVersion(int i) {
        return generations.get(i).ver;
    }

    KeyIndex copy() {
        KeyIndex k = new KeyIndex(key);
        k.modMain = modMain;
        k.modSub = modSub;
        for (Generation g : generations) {
            k.generations.add(g.copy());
        }
        return k;
    }

    /**
     * Structural equality (key, modified, generations with version, creation main revision
     * and revisions), as etcd's keyIndex.equal; a restored index loses the creation's sub.
     */
    boolean sameAs(KeyIndex o) {
        if (!Arrays.equals(key, o.key) || modMain != o.modMain || modSub != o.modSub
                || generations.size() != o.generations.size()) {
            return false;
        }
        for (int i = 0; i < generations.size(); i++) {
            Generation a = generations.get(i);
            Generation b = o.generations.get(i);
            if (a.ver != b.ver || a.n != b.n || (a.n > 0 && a.createdMain != b.createdMain)) {
                return false;
            }
            if (!Arrays.equals(a.revs, 0, 2 * a.n, b.revs, 0, 2 * b.n)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "KeyIndex{" + new String(key, java.nio.charset.StandardCharsets.UTF_8) + " mod=" + modMain + "."
                + modSub + " " + generations + "}";
    }
}
