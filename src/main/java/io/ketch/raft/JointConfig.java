package io.ketch.raft;

import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The voters of a configuration: the incoming majority and, while a joint change is in
 * progress, the outgoing one. Every decision (commit, election, ReadIndex, check-quorum)
 * needs a majority of both, so that neither the old nor the new membership can decide
 * alone. When not joint, outgoing is empty and therefore neutral.
 */
record JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {

    static JointConfig simple(MajorityConfig voters) {
        return new JointConfig(voters, MajorityConfig.EMPTY);
    }

    boolean isJoint() {
        return !outgoing.isEmpty();
    }

    boolean contains(long id) {
        return incoming.contains(id) || outgoing.contains(id);
    }

    SortedSet<Long> ids() {
        SortedSet<Long> all = new TreeSet<>(incoming.ids());
        all.addAll(outgoing.ids());
        return all;
    }

    long committedIndex(AckedIndexer acked) {
        return Math.min(incoming.committedIndex(acked), outgoing.committedIndex(acked));
    }

    VoteResult voteResult(Map<Long, Boolean> votes) {
        VoteResult in = incoming.voteResult(votes);
        VoteResult out = outgoing.voteResult(votes);
        if (in == out) {
            return in;
        }
        if (in == VoteResult.LOST || out == VoteResult.LOST) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    @Override
    public String toString() {
        return isJoint() ? incoming + "&&" + outgoing : incoming.toString();
    }
}
