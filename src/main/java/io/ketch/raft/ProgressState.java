package io.ketch.raft;

/** How the leader currently replicates to one follower. */
public enum ProgressState {
    /**
     * The leader does not know where the follower's log matches its own: it sends at most one
     * append per heartbeat interval and waits for the answer, backing off on rejections.
     */
    PROBE,
    /** The logs match up to Match: the leader streams appends, bounded by {@link Inflights}. */
    REPLICATE,
    /** The entries the follower needs are compacted: a snapshot is on its way; send nothing else. */
    SNAPSHOT
}
