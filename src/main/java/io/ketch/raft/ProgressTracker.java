package io.ketch.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The membership in force on this member together with a {@link Progress} for each member
 * (voters and learners alike) and the votes of the current election. Only a leader uses the
 * progress; every member uses the membership to count votes.
 */
final class ProgressTracker {
    final int maxInflight;
    final long maxInflightBytes;
    private TrackerConfig config = TrackerConfig.EMPTY;
    /** Every member has exactly one entry here (iteration in id order, for determinism). */
    private SortedMap<Long, Progress> progress = new TreeMap<>();
    private final Map<Long, Boolean> votes = new TreeMap<>();

    ProgressTracker(int maxInflight, long maxInflightBytes) {
        this.maxInflight = maxInflight;
        this.maxInflightBytes = maxInflightBytes;
    }

    TrackerConfig config() {
        return config;
    }

    SortedMap<Long, Progress> progress() {
        return progress;
    }

    Progress progress(long id) {
        return progress.get(id);
    }

    void setConfig(TrackerConfig config, SortedMap<Long, Progress> progress) {
        this.config = config;
        this.progress = progress;
    }

    Inflights newInflights() {
        return new Inflights(maxInflight, maxInflightBytes);
    }

    /** True if this member is the only voter: it needs nobody to commit or to confirm a read. */
    boolean isSingleton(long self) {
        return config.voters().incoming().size() == 1 && config.voters().incoming().contains(self)
                && !config.voters().isJoint();
    }

    /** The highest index stored by a quorum of voters (learners do not count). */
    long committed() {
        return config.voters().committedIndex(id -> {
            Progress pr = progress.get(id);
            return pr == null ? 0 : pr.match;
        });
    }

    /** Whether a quorum of voters has been heard from since the last check. */
    boolean quorumActive() {
        Map<Long, Boolean> active = new TreeMap<>();
        progress.forEach((id, pr) -> {
            if (!pr.isLearner) {
                active.put(id, pr.recentActive);
            }
        });
        return config.voters().voteResult(active) == VoteResult.WON;
    }

    List<Long> voterIds() {
        return new ArrayList<>(config.voters().ids());
    }

    void resetVotes() {
        votes.clear();
    }

    /** Records id's vote; a later, different answer from the same voter does not override it. */
    void recordVote(long id, boolean granted) {
        votes.putIfAbsent(id, granted);
    }

    VoteResult tallyVotes() {
        return config.voters().voteResult(votes);
    }
}
