package io.ketch.raft;

import io.ketch.pb.raft.ConfState;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A membership: voters (possibly joint), learners, and the learners-to-be of a joint change.
 * Immutable; a change produces a new one.
 *
 * <p>Invariants (checked by {@link ConfChanger}): learners and voters are disjoint;
 * learnersNext are outgoing voters; when not joint, learnersNext is empty and autoLeave false.
 */
record TrackerConfig(JointConfig voters, SortedSet<Long> learners, SortedSet<Long> learnersNext, boolean autoLeave) {
    static final TrackerConfig EMPTY = new TrackerConfig(JointConfig.simple(MajorityConfig.EMPTY),
            Collections.emptySortedSet(), Collections.emptySortedSet(), false);

    TrackerConfig {
        learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
        learnersNext = Collections.unmodifiableSortedSet(new TreeSet<>(learnersNext));
    }

    ConfState toConfState() {
        return ConfState.newBuilder()
                .addAllVoters(voters.incoming().ids())
                .addAllVotersOutgoing(voters.outgoing().ids())
                .addAllLearners(learners)
                .addAllLearnersNext(learnersNext)
                .setAutoLeave(autoLeave)
                .build();
    }

    @Override
    public String toString() {
        return "voters=" + voters + (learners.isEmpty() ? "" : " learners=" + learners)
                + (learnersNext.isEmpty() ? "" : " learners_next=" + learnersNext) + (autoLeave ? " autoleave" : "");
    }
}
