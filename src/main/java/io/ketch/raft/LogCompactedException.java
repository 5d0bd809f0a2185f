package io.ketch.raft;

/** The requested index lies at or below the storage's snapshot: its entries are gone. */
public final class LogCompactedException extends RaftException {
    public LogCompactedException(long index, long snapshotIndex) {
        super("requested index " + index + " is unavailable due to compaction (snapshot index " + snapshotIndex + ")");
    }
}
