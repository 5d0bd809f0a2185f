package io.ketch.raft;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The log as one sequence: persisted entries in {@link LogStorage} followed by the
 * {@link UnstableLog}. Tracks the commit and apply cursors.
 *
 * <p>Invariants: {@code applied <= committed <= lastIndex()}; committed entries are never
 * truncated (an attempt is a safety violation and throws).
 */
final class RaftLog {
    static final long NO_LIMIT = Long.MAX_VALUE;

    private final LogStorage storage;
    private final UnstableLog unstable;
    private final long maxCommittedSizePerReady;
    private long committed;
    private long applied;

    RaftLog(LogStorage storage, long maxCommittedSizePerReady) {
        this.storage = storage;
        this.maxCommittedSizePerReady = maxCommittedSizePerReady;
        this.unstable = new UnstableLog(storage.lastIndex() + 1);
        // Everything up to the snapshot is committed and applied by definition.
        this.committed = storage.firstIndex() - 1;
        this.applied = storage.firstIndex() - 1;
    }

    long committed() {
        return committed;
    }

    long applied() {
        return applied;
    }

    UnstableLog unstable() {
        return unstable;
    }

    /**
     * The follower side of AppendEntries: if our entry at prevIndex has prevTerm (the
     * log-matching check), append the entries that are new, truncating the first conflicting
     * suffix, and advance the commit index to min(leaderCommit, last new index).
     *
     * @return the index of the last entry the message covered, or -1 if the check failed
     */
    long maybeAppend(long prevIndex, long prevTerm, long leaderCommit, List<Entry> entries) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNewIndex = prevIndex + entries.size();
        long conflict = findConflict(entries);
        if (conflict != 0) {
            if (conflict <= committed) {
                throw new IllegalStateException("entry " + conflict + " conflicts with committed entry [committed(" + committed + ")]");
            }
            append(entries.subList((int) (conflict - (prevIndex + 1)), entries.size()));
        }
        commitTo(Math.min(leaderCommit, lastNewIndex));
        return lastNewIndex;
    }

    long append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return lastIndex();
        }
        long after = entries.get(0).getIndex() - 1;
        if (after < committed) {
            throw new IllegalStateException("after(" + after + ") is out of range [committed(" + committed + ")]");
        }
        unstable.truncateAndAppend(entries);
        return lastIndex();
    }

    /**
     * The index of the first entry whose term differs from ours (a conflict, or an entry we do
     * not have yet), or 0 if we hold all of them already.
     */
    long findConflict(List<Entry> entries) {
        for (Entry e : entries) {
            if (!matchTerm(e.getIndex(), e.getTerm())) {
                return e.getIndex();
            }
        }
        return 0;
    }

    /**
     * The largest index at or below index whose term is at most term. A rejected append at
     * (index, term) cannot match anywhere above the returned index, so the leader may skip
     * all of those in one round trip instead of one index per round trip.
     */
    long findConflictByTerm(long index, long term) {
        if (index > lastIndex()) {
            return index;
        }
        while (true) {
            long t;
            try {
                t = term(index);
            } catch (LogCompactedException e) {
                return index;
            }
            if (t <= term) {
                return index;
            }
            index--;
        }
    }

    List<Entry> unstableEntries() {
        return unstable.entries();
    }

    /** Committed entries not yet handed out for application, bounded in size. */
    List<Entry> nextCommittedEntries() {
        long from = Math.max(applied + 1, firstIndex());
        if (committed + 1 > from) {
            return slice(from, committed + 1, maxCommittedSizePerReady);
        }
        return List.of();
    }

    boolean hasNextCommittedEntries() {
        return committed + 1 > Math.max(applied + 1, firstIndex());
    }

    Snapshot snapshot() {
        Snapshot pending = unstable.snapshot();
        return pending != null ? pending : storage.snapshot();
    }

    long firstIndex() {
        long i = unstable.maybeFirstIndex();
        return i != UnstableLog.ABSENT ? i : storage.firstIndex();
    }

    long lastIndex() {
        long i = unstable.maybeLastIndex();
        return i != UnstableLog.ABSENT ? i : storage.lastIndex();
    }

    void commitTo(long toCommit) {
        if (committed < toCommit) {
            if (lastIndex() < toCommit) {
                throw new IllegalStateException("tocommit(" + toCommit + ") is out of range [lastIndex(" + lastIndex() + ")]");
            }
            committed = toCommit;
        }
    }

    void appliedTo(long index) {
        if (index == 0) {
            return;
        }
        if (committed < index || index < applied) {
            throw new IllegalStateException("applied(" + index + ") is out of range [prevApplied(" + applied + "), committed(" + committed + ")]");
        }
        applied = index;
    }

    void stableTo(long index, long term) {
        unstable.stableTo(index, term);
    }

    void stableSnapTo(long index) {
        unstable.stableSnapTo(index);
    }

    long lastTerm() {
        return term(lastIndex());
    }

    /**
     * The term at index: 0 outside [firstIndex - 1, lastIndex].
     *
     * @throws LogCompactedException if the storage compacted it concurrently
     */
    long term(long index) {
        long dummyIndex = firstIndex() - 1;
        if (index < dummyIndex || index > lastIndex()) {
            return 0;
        }
        long t = unstable.maybeTerm(index);
        if (t != UnstableLog.ABSENT) {
            return t;
        }
        try {
            return storage.term(index);
        } catch (LogUnavailableException e) {
            throw new IllegalStateException(e);
        }
    }

    long termOrZero(long index) {
        try {
            return term(index);
        } catch (LogCompactedException e) {
            return 0;
        }
    }

    /** Entries from index to the end, bounded in size; throws LogCompactedException. */
    List<Entry> entries(long from, long maxSize) {
        if (from > lastIndex()) {
            return List.of();
        }
        return slice(from, lastIndex() + 1, maxSize);
    }

    List<Entry> allEntries() {
        return entries(firstIndex(), NO_LIMIT);
    }

    /**
     * §5.4.1: a candidate's log is at least as up-to-date as ours if its last term is higher,
     * or equal with a last index at least as high.
     */
    boolean isUpToDate(long lastIndex, long lastTerm) {
        long ourLastTerm = lastTerm();
        return lastTerm > ourLastTerm || (lastTerm == ourLastTerm && lastIndex >= lastIndex());
    }

    boolean matchTerm(long index, long term) {
        try {
            return term(index) == term;
        } catch (LogCompactedException e) {
            return false;
        }
    }

    /**
     * §5.4.2: the leader commits up to maxIndex only if that entry is from its current term;
     * earlier-term entries become committed indirectly, by the Log Matching property.
     */
    boolean maybeCommit(long maxIndex, long term) {
        if (maxIndex > committed && termOrZero(maxIndex) == term) {
            commitTo(maxIndex);
            return true;
        }
        return false;
    }

    void restore(Snapshot s) {
        committed = s.getMetadata().getIndex();
        unstable.restore(s);
    }

    /** Entries in [lo, hi), bounded in size; throws LogCompactedException below firstIndex. */
    List<Entry> slice(long lo, long hi, long maxSize) {
        checkOutOfBounds(lo, hi);
        if (lo == hi) {
            return List.of();
        }
        List<Entry> result = List.of();
        long unstableOffset = unstable.offset();
        if (lo < unstableOffset) {
            long storedHi = Math.min(hi, unstableOffset);
            List<Entry> stored;
            try {
                stored = storage.entries(lo, storedHi, maxSize);
            } catch (LogUnavailableException e) {
                throw new IllegalStateException("entries[" + lo + ":" + storedHi + ") is unavailable from storage", e);
            }
            if (stored.size() < storedHi - lo) {
                // Cut by maxSize: do not add unstable entries after a gap.
                return stored;
            }
            result = stored;
        }
        if (hi > unstableOffset) {
            List<Entry> fresh = unstable.slice(Math.max(lo, unstableOffset), hi);
            if (result.isEmpty()) {
                result = List.copyOf(fresh);
            } else {
                List<Entry> combined = new ArrayList<>(result.size() + fresh.size());
                combined.addAll(result);
                combined.addAll(fresh);
                result = combined;
            }
        }
        return Entries.limitSize(result, maxSize);
    }

    private void checkOutOfBounds(long lo, long hi) {
        if (lo > hi) {
            throw new IllegalStateException("invalid slice " + lo + " > " + hi);
        }
        long first = firstIndex();
        if (lo < first) {
            throw new LogCompactedException(lo, first - 1);
        }
        long last = lastIndex();
        if (hi > last + 1) {
            throw new IllegalStateException("slice[" + lo + "," + hi + ") out of bound [" + first + "," + last + "]");
        }
    }

    @Override
    public String toString() {
        return "committed=" + committed + ", applied=" + applied + ", unstable.offset=" + unstable.offset()
                + ", unstable.entries=" + unstable.entries().size();
    }
}
