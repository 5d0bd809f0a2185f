package io.ketch.server;

import io.ketch.pb.raft.ConfState;
import io.ketch.raft.node.RaftNode;
import io.ketch.snap.SnapshotMeta;
import io.ketch.wal.SnapshotMarker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Takes a snapshot file every {@code --snapshot-count} applied entries so the WAL can be
 * trimmed, a rebuild of the store replays a bounded number of entries, and a follower behind
 * the compacted log can be sent the state.
 *
 * <p>Applying stops only for a moment: on the thread "ketch-snapshot", with applying paused
 * between two batches, the store is copied consistently at the applied index (a
 * {@link StoreCopy}: the key bucket pinned at its revision, the small buckets copied to
 * memory); the file is then written while entries go on being applied. Dumping the whole
 * store on the apply thread used to stall every write for as long as the dump took.
 *
 * <p>Order matters for crash safety: the snapshot file is durable first, then the WAL
 * records the marker, and only then are older WAL segments released and the in-memory Raft
 * log compacted (both on the Raft thread, which owns them). One snapshot at a time.
 */
final class SnapshotPolicy implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SnapshotPolicy.class);
    private final MemberStorage storage;
    /** Entries kept in memory behind a snapshot so a slow follower catches up without one (etcd's 5000). */
    private final long catchUpEntries;
    private final long every;
    /** The membership in force at the applied index (read with applying paused). */
    private final Supplier<ConfState> membership;
    private final AtomicBoolean inProgress = new AtomicBoolean();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(DaemonThreads.named("ketch-snapshot"));
    /** Index of the newest snapshot; written by the writer thread, read by the apply thread. */
    private volatile long lastSnapshotIndex;
    private RaftNode raft;
    private ApplyStage applyStage;

    SnapshotPolicy(MemberStorage storage, Supplier<ConfState> membership, long every, long catchUpEntries,
                   long appliedAtStart) {
        this.storage = storage;
        this.membership = membership;
        this.catchUpEntries = catchUpEntries;
        this.every = every;
        this.lastSnapshotIndex = appliedAtStart;
    }

    void attach(RaftNode raft, ApplyStage applyStage) {
        this.raft = raft;
        this.applyStage = applyStage;
    }

    /** After each applied batch (apply thread): starts a snapshot when one is due and none is running. */
    void maybeSnapshot(long appliedIndex, long term) {
        if (appliedIndex - lastSnapshotIndex >= every) {
            snapshotNow();
        }
    }

    /**
     * Starts a snapshot now unless one is running: when a follower needs the state and the log's
     * snapshot has no file (the bootstrap membership of a new cluster is a snapshot at index 1
     * without one), e.g. for a member that has just joined.
     */
    void snapshotNow() {
        if (!inProgress.compareAndSet(false, true)) {
            return;
        }
        try {
            writer.execute(() -> {
                try {
                    snapshot();
                } finally {
                    inProgress.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            inProgress.set(false); // closing: no more snapshots
        }
    }

    private void snapshot() {
        long t0 = System.nanoTime();
        long[] at = new long[2];
        ConfState[] members = new ConfState[1];
        try {
            StoreCopy copy = applyStage.withApplyPaused(() -> {
                members[0] = membership.get();
                at[0] = applyStage.appliedIndex();
                at[1] = applyStage.appliedTerm();
                // The copy must say it holds exactly the entries up to the applied index (the
                // last ones may have been empty entries, which do not move the store's own
                // consistent index); publishing it puts it in the meta bucket being copied.
                storage.store().setConsistentIndex(at[0], at[1]);
                storage.backend().publishConsistentIndex();
                return StoreCopy.take(storage);
            });
            long pausedMs = (System.nanoTime() - t0) / 1_000_000;
            long index = at[0];
            long term = at[1];
            try (copy) {
                storage.snapshotter().save(new SnapshotMeta(index, term, new byte[0]), copy.records());
            }
            lastSnapshotIndex = index;
            raft.runOnRaftThread(() -> {
                try {
                    storage.wal().saveSnapshotMarker(new SnapshotMarker(index, term));
                    storage.wal().sync();
                    storage.wal().releaseTo(index);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            raft.snapshotTaken(index, members[0], catchUpEntries);
            LOG.infof("saved snapshot at index %d in %d ms (applying paused %d ms)", index,
                    (System.nanoTime() - t0) / 1_000_000, pausedMs);
        } catch (IOException | RuntimeException e) {
            LOG.error("snapshot failed; will retry after the next batch", e);
        }
    }

    /** Waits for a snapshot being written to finish, then stops the writer thread. */
    @Override
    public void close() throws InterruptedException {
        writer.shutdown();
        if (!writer.awaitTermination(60, TimeUnit.SECONDS)) {
            LOG.warn("a snapshot was still being written after 60 s; stopping without it");
            writer.shutdownNow();
        }
    }
}
