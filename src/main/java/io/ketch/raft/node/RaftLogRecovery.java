package io.ketch.raft.node;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Snapshot;
import io.ketch.pb.raft.SnapshotMetadata;
import io.ketch.raft.MemoryStorage;
import io.ketch.wal.HardState;
import io.ketch.wal.SnapshotMarker;
import io.ketch.wal.Wal;
import io.ketch.wal.WalReplay;
import java.io.IOException;
import java.util.List;

/**
 * Rebuilds Raft's log from what the WAL holds, or bootstraps a new one. The WAL is the
 * durable copy of Raft's log and hard state; the {@link MemoryStorage} is what the core reads.
 */
public final class RaftLogRecovery {
    private RaftLogRecovery() {}

    /** True when the WAL holds nothing yet: a member starting for the first time. */
    public static boolean isNewMember(WalReplay replay) {
        return replay.snapshot().index() == 0 && replay.entries().isEmpty()
                && replay.hardState().equals(HardState.EMPTY);
    }

    /**
     * @param confState the membership in force at the store's applied index (the core needs
     *                  it before any entry is applied again)
     */
    public static MemoryStorage restore(Wal wal, WalReplay replay, ConfState confState) throws IOException {
        if (isNewMember(replay)) {
            // A new member founding a cluster: the initial membership is a snapshot at index 1,
            // term 1 (as etcd's bootstrap commits it), recorded in the WAL before anything else.
            MemoryStorage storage = MemoryStorage.bootstrap(confState);
            wal.saveSnapshotMarker(new SnapshotMarker(1, 1));
            wal.append(List.of(), new HardState(1, 0, 1));
            wal.sync();
            return storage;
        }
        MemoryStorage storage = new MemoryStorage(confState);
        if (replay.snapshot().index() > 0) {
            storage.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                    .setIndex(replay.snapshot().index()).setTerm(replay.snapshot().term())
                    .setConfState(confState)).build());
        }
        if (!replay.hardState().equals(HardState.EMPTY)) {
            storage.setHardState(WalCodec.fromWal(replay.hardState()));
        } else if (replay.snapshot().index() > 0) {
            // A data dir made by `ketch snapshot restore` holds only a snapshot marker: a
            // snapshot is committed by definition, so start from its term and index.
            storage.setHardState(io.ketch.pb.raft.HardState.newBuilder().setTerm(replay.snapshot().term())
                    .setCommit(replay.snapshot().index()).build());
        }
        if (!replay.entries().isEmpty()) {
            storage.append(WalCodec.fromWal(replay.entries()));
        }
        return storage;
    }
}
