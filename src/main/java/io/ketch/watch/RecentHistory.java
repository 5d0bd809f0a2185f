package io.ketch.watch;

import io.ketch.pb.mvcc.Event;
import java.util.List;

/**
 * The events of the newest revisions, in memory, so that a watcher a little behind (one that
 * started at a recent revision, or whose buffer overflowed for a moment) catches up without
 * reading the backend, and can be caught up and moved to the synced group in one step under
 * the store's lock. Bounded by a number of revisions and by an estimate of their bytes; the
 * oldest revisions are dropped first.
 *
 * <p>Invariant: it holds every revision from {@link #firstRevision()} to the newest one
 * added, without a gap. Not thread-safe: the {@link WatchableStore} guards it.
 */
final class RecentHistory {
    private final long[] revs;
    private final List<Event>[] events;
    private final long[] bytes;
    private final long maxBytes;
    private int head; // index of the oldest
    private int count;
    private long totalBytes;
    /** The revision the next add must carry (newest + 1); first revision when empty. */
    private long nextRev;

    @SuppressWarnings("unchecked")
    RecentHistory(int maxRevisions, long maxBytes, long lastRevision) {
        int cap = Math.max(1, maxRevisions);
        this.revs = new long[cap];
        this.events = new List[cap];
        this.bytes = new long[cap];
        this.maxBytes = maxBytes;
        this.nextRev = lastRevision + 1;
    }

    /** The oldest revision held; newest + 1 when empty (every revision after it is held). */
    long firstRevision() {
        return count == 0 ? nextRev : revs[head];
    }

    /**
     * Appends a revision's events. A revision that does not follow the newest one (which the
     * store's contract rules out) empties the history first, keeping the no-gap invariant.
     */
    void add(long rev, List<Event> evs) {
        if (rev != nextRev) {
            clear(rev);
        }
        long size = 0;
        for (int i = 0; i < evs.size(); i++) {
            size += evs.get(i).getSerializedSize() + 16;
        }
        if (revs.length == count) {
            dropOldest();
        }
        int at = (head + count) % revs.length;
        revs[at] = rev;
        events[at] = evs;
        bytes[at] = size;
        count++;
        totalBytes += size;
        nextRev = rev + 1;
        while (count > 1 && totalBytes > maxBytes) {
            dropOldest();
        }
    }

    private void dropOldest() {
        totalBytes -= bytes[head];
        events[head] = null;
        head = (head + 1) % revs.length;
        count--;
    }

    private void clear(long nextRevision) {
        while (count > 0) {
            dropOldest();
        }
        nextRev = nextRevision;
    }

    /** The events of rev, which must lie in [firstRevision(), newest]. */
    List<Event> eventsAt(long rev) {
        long first = firstRevision();
        if (rev < first || rev >= nextRev) {
            throw new IllegalArgumentException("revision " + rev + " not held (" + first + ".." + (nextRev - 1) + ")");
        }
        return events[(int) ((head + (rev - first)) % revs.length)];
    }
}
