package io.ketch.raft;

/** The outcome of counting votes (or acknowledgements) against a configuration. */
public enum VoteResult {
    /** Not decided yet: the missing votes could still go either way. */
    PENDING,
    /** Enough "no" votes that no quorum of "yes" is possible any more. */
    LOST,
    /** A quorum voted "yes". */
    WON
}
