package io.ketch.raft;

/** What the transport reports after trying to send a snapshot to a follower. */
public enum SnapshotStatus {
    FINISH,
    FAILURE
}
