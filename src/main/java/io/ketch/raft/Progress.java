package io.ketch.raft;

/**
 * The leader's view of one follower's log (and the followers' view of themselves, which
 * matters only for a leader). Invariant: {@code match < next}.
 */
final class Progress {
    /** The highest index known to be replicated on the follower. */
    long match;
    /** The index of the next entry to send. */
    long next;
    ProgressState state = ProgressState.PROBE;
    /** In SNAPSHOT state: the index of the snapshot being sent. */
    long pendingSnapshot;
    /** Heard from since the last check-quorum round; a leader steps down if a quorum is not. */
    boolean recentActive;
    /** In PROBE state: an append is outstanding, so send no other until an answer or heartbeat. */
    boolean probeSent;
    final Inflights inflights;
    boolean isLearner;

    Progress(long match, long next, Inflights inflights, boolean isLearner) {
        this.match = match;
        this.next = next;
        this.inflights = inflights;
        this.isLearner = isLearner;
    }

    Progress copy() {
        Progress c = new Progress(match, next, inflights.copy(), isLearner);
        c.state = state;
        c.pendingSnapshot = pendingSnapshot;
        c.recentActive = recentActive;
        c.probeSent = probeSent;
        return c;
    }

    private void resetState(ProgressState newState) {
        probeSent = false;
        pendingSnapshot = 0;
        state = newState;
        inflights.reset();
    }

    void becomeProbe() {
        if (state == ProgressState.SNAPSHOT) {
            // The snapshot, if it arrived, covers pendingSnapshot: probe right after it.
            long pending = pendingSnapshot;
            resetState(ProgressState.PROBE);
            next = Math.max(match + 1, pending + 1);
        } else {
            resetState(ProgressState.PROBE);
            next = match + 1;
        }
    }

    void becomeReplicate() {
        resetState(ProgressState.REPLICATE);
        next = match + 1;
    }

    void becomeSnapshot(long snapshotIndex) {
        resetState(ProgressState.SNAPSHOT);
        pendingSnapshot = snapshotIndex;
    }

    /**
     * The follower acknowledged entries up to index.
     *
     * @return whether match advanced (stale or duplicated acknowledgements do not)
     */
    boolean maybeUpdate(long index) {
        boolean updated = false;
        if (match < index) {
            match = index;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, index + 1);
        return updated;
    }

    /** In REPLICATE state the leader assumes its appends arrive and streams the next ones. */
    void optimisticUpdate(long lastSent) {
        next = lastSent + 1;
    }

    /**
     * The follower rejected the append whose previous index was rejected; matchHint is the
     * highest index that might still match. Returns false for a stale rejection, which must
     * not move next backwards.
     */
    boolean maybeDecrTo(long rejected, long matchHint) {
        if (state == ProgressState.REPLICATE) {
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            return true;
        }
        // Probing sends one append at a time, so only the answer to that one is current.
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), 1);
        probeSent = false;
        return true;
    }

    /** Whether the leader must hold back appends to this follower for now. */
    boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    @Override
    public String toString() {
        return state + " match=" + match + " next=" + next + (isLearner ? " learner" : "")
                + (isPaused() ? " paused" : "") + (pendingSnapshot > 0 ? " pendingSnap=" + pendingSnapshot : "")
                + (recentActive ? "" : " inactive") + (inflights.count() > 0 ? " inflight=" + inflights.count() : "");
    }
}
