package io.ketch.raft;

/** The role a member plays in its current term. */
public enum StateRole {
    FOLLOWER,
    /** Asking whether it could win an election, without disturbing anyone's term (pre-vote). */
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
