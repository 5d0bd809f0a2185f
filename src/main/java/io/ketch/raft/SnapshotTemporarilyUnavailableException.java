package io.ketch.raft;

/**
 * Thrown by {@link LogStorage#snapshot()} while the application is still producing a
 * snapshot; the leader simply tries again later.
 */
public final class SnapshotTemporarilyUnavailableException extends RaftException {
    public SnapshotTemporarilyUnavailableException() {
        super("snapshot is temporarily unavailable");
    }
}
