package io.ketch.server;

import io.ketch.raft.node.RaftNode;
import io.ketch.snap.SnapshotMeta;
import io.ketch.wal.SnapshotMarker;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jboss.logging.Logger;

/**
 * Takes a snapshot file every {@code --snapshot-count} applied entries so the WAL can be
 * trimmed and a rebuild of the store replays a bounded number of entries.
 *
 * <p>Runs on the apply thread, between batches: the store is quiescent, so the dump is the
 * exact state at the applied index. Order matters for crash safety: the snapshot file is
 * durable first, then the WAL records the marker, and only then are older WAL segments
 * released and the in-memory Raft log compacted (both on the Raft thread, which owns them).
 */
final class SnapshotPolicy {
    private static final Logger LOG = Logger.getLogger(SnapshotPolicy.class);
    private final MemberStorage storage;
    /** Entries kept in memory behind a snapshot so a slow follower catches up without one (etcd's 5000). */
    private final long catchUpEntries;
    private final long every;
    private long lastSnapshotIndex;
    private RaftNode raft;

    SnapshotPolicy(MemberStorage storage, long every, long catchUpEntries, long appliedAtStart) {
        this.storage = storage;
        this.catchUpEntries = catchUpEntries;
        this.every = every;
        this.lastSnapshotIndex = appliedAtStart;
    }

    void attach(RaftNode raft) {
        this.raft = raft;
    }

    void maybeSnapshot(long appliedIndex, long term) {
        if (appliedIndex - lastSnapshotIndex < every) {
            return;
        }
        try {
            long t0 = System.nanoTime();
            // The dump must say it holds exactly the entries up to appliedIndex (the last ones may
            // have been empty entries, which do not move the store's own consistent index).
            storage.store().setConsistentIndex(appliedIndex, term);
            storage.backend().sync(); // writes the consistent index into the meta bucket being dumped
            storage.snapshotter().save(new SnapshotMeta(appliedIndex, term, new byte[0]),
                    BackendSnapshot.records(storage.backend()));
            lastSnapshotIndex = appliedIndex;
            raft.runOnRaftThread(() -> {
                try {
                    storage.wal().saveSnapshotMarker(new SnapshotMarker(appliedIndex, term));
                    storage.wal().sync();
                    storage.wal().releaseTo(appliedIndex);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            raft.snapshotTaken(appliedIndex, catchUpEntries);
            LOG.infof("saved snapshot at index %d in %d ms", appliedIndex, (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            LOG.error("snapshot failed; will retry after the next batch", e);
        }
    }
}
