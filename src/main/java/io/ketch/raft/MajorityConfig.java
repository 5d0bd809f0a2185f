package io.ketch.raft;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A set of voters deciding by simple majority. Iteration is in ascending id order so that
 * everything derived from it (message order, status) is deterministic.
 */
record MajorityConfig(SortedSet<Long> ids) {
    static final MajorityConfig EMPTY = new MajorityConfig(Collections.emptySortedSet());

    MajorityConfig {
        ids = Collections.unmodifiableSortedSet(new TreeSet<>(ids));
    }

    static MajorityConfig of(Collection<Long> ids) {
        return new MajorityConfig(new TreeSet<>(ids));
    }

    int size() {
        return ids.size();
    }

    boolean isEmpty() {
        return ids.isEmpty();
    }

    boolean contains(long id) {
        return ids.contains(id);
    }

    /**
     * The highest index acknowledged by a majority: sort the acknowledged indexes and take
     * the one that n/2+1 voters have reached. An empty config commits everything (so that it
     * is neutral as the outgoing half of a non-joint {@link JointConfig}).
     */
    long committedIndex(AckedIndexer acked) {
        int n = ids.size();
        if (n == 0) {
            return Long.MAX_VALUE;
        }
        long[] indexes = new long[n];
        int i = 0;
        for (long id : ids) {
            indexes[i++] = acked.ackedIndex(id);
        }
        Arrays.sort(indexes);
        return indexes[n - (n / 2 + 1)];
    }

    /** Counts votes of members only; votes of ids outside this config are ignored. */
    VoteResult voteResult(Map<Long, Boolean> votes) {
        if (ids.isEmpty()) {
            return VoteResult.WON;
        }
        int yes = 0;
        int missing = 0;
        for (long id : ids) {
            Boolean v = votes.get(id);
            if (v == null) {
                missing++;
            } else if (v) {
                yes++;
            }
        }
        int quorum = ids.size() / 2 + 1;
        if (yes >= quorum) {
            return VoteResult.WON;
        }
        if (yes + missing >= quorum) {
            return VoteResult.PENDING;
        }
        return VoteResult.LOST;
    }

    @Override
    public String toString() {
        return ids.toString();
    }
}
