package io.ketch.raft;

/**
 * A proposal was not appended: there is no known leader, a leader transfer is in progress,
 * the uncommitted tail is at its size bound, or this member is no longer in the configuration.
 * The caller may retry later; nothing of the proposal reached the log.
 */
public final class ProposalDroppedException extends RaftException {
    public ProposalDroppedException(String reason) {
        super("raft proposal dropped: " + reason);
    }
}
