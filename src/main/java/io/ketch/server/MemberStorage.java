package io.ketch.server;

import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.snap.SnapshotReader;
import io.ketch.snap.SnapshotRecord;
import io.ketch.snap.Snapshotter;
import io.ketch.wal.Wal;
import io.ketch.wal.WalReplay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The member's files and their recovery. Layout (etcd's): {@code data-dir/member/wal},
 * {@code data-dir/member/snap}, {@code data-dir/member/db}, plus {@code member/identity}.
 *
 * <p>Truth is the WAL plus snapshot files. The MapDB file is a cache of them: it is used
 * only if its previous close completed (MapDB never replays its own log, so a file that was
 * open during a crash may be silently damaged); otherwise it is deleted and rebuilt from the
 * newest snapshot file, and Raft hands the committed entries after that snapshot to the
 * applier again (its applied index starts at the store's consistent index).
 */
public final class MemberStorage implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MemberStorage.class);

    private final Path memberDir;
    private final Wal wal;
    private final WalReplay replay;
    private final Snapshotter snapshotter;
    private final Backend backend;
    private final MvccStore store;

    private MemberStorage(Path memberDir, Wal wal, WalReplay replay, Snapshotter snapshotter, Backend backend,
                          MvccStore store) {
        this.memberDir = memberDir;
        this.wal = wal;
        this.replay = replay;
        this.snapshotter = snapshotter;
        this.backend = backend;
        this.store = store;
    }

    public static MemberStorage open(Path dataDir, Optional<Path> walDirFlag) throws IOException {
        Path memberDir = dataDir.resolve("member");
        Files.createDirectories(memberDir);
        Wal wal = Wal.open(walDirFlag.orElse(memberDir.resolve("wal")));
        WalReplay replay = wal.replay();
        Snapshotter snapshotter = new Snapshotter(memberDir.resolve("snap"));
        Path dbFile = memberDir.resolve("db");
        boolean dbExisted = Files.exists(dbFile);
        Backend backend = Backend.open(dbFile);
        // Index 1 is the bootstrap membership snapshot, which holds no store data.
        long walSnapshotIndex = replay.snapshot().index() > 1 ? replay.snapshot().index() : 0;
        boolean trusted = backend.wasClosedCleanly() && backend.consistentIndex() >= walSnapshotIndex;
        if (dbExisted && !trusted) {
            LOG.warnf("backend %s was not closed cleanly (or is older than the WAL's snapshot); rebuilding it"
                    + " from the snapshot files and the WAL", dbFile);
        }
        if (!trusted) {
            backend.close();
            Files.deleteIfExists(dbFile);
            backend = Backend.open(dbFile);
            // A snapshot file beyond what the WAL knows to be committed was received from a leader
            // but its installation never reached the WAL: start from the old state instead.
            long committed = Math.max(replay.hardState().commit(), replay.snapshot().index());
            loadNewestSnapshot(snapshotter, backend, walSnapshotIndex, committed);
        }
        return new MemberStorage(memberDir, wal, replay, snapshotter, backend, MvccStore.open(backend));
    }

    private static void loadNewestSnapshot(Snapshotter snapshotter, Backend backend, long walSnapshotIndex,
                                           long committed) throws IOException {
        Optional<SnapshotReader> newest = snapshotter.openNewest(committed);
        if (newest.isEmpty()) {
            if (walSnapshotIndex > 0) {
                throw new IOException("the WAL starts after snapshot index " + walSnapshotIndex
                        + " but no valid snapshot file exists: cannot rebuild the store");
            }
            return;
        }
        try (SnapshotReader reader = newest.get()) {
            if (reader.meta().index() < walSnapshotIndex) {
                throw new IOException("newest valid snapshot is at index " + reader.meta().index()
                        + " but the WAL starts after index " + walSnapshotIndex);
            }
            while (reader.hasNext()) {
                SnapshotRecord r = reader.next();
                BackendSnapshot.load(backend, r);
            }
            LOG.infof("loaded snapshot %s (index %d)", reader.path(), reader.meta().index());
        }
    }

    /**
     * Records in the WAL of a stopped member that the snapshot file at {@code index} (already in
     * place) is now its state: a snapshot marker and a hard state committed up to it. From here
     * on a start rebuilds the store from that snapshot (the backend is older than the marker).
     */
    static void recordInstalledSnapshot(Path dataDir, Optional<Path> walDirFlag, long index, long term) throws IOException {
        try (Wal wal = Wal.open(walDirFlag.orElse(dataDir.resolve("member").resolve("wal")))) {
            io.ketch.wal.HardState hs = wal.replay().hardState();
            long newTerm = Math.max(hs.term(), term);
            wal.saveSnapshotMarker(new io.ketch.wal.SnapshotMarker(index, term));
            wal.append(java.util.List.of(), new io.ketch.wal.HardState(newTerm, newTerm == hs.term() ? hs.vote() : 0,
                    Math.max(hs.commit(), index)));
            wal.sync();
        }
    }

    /** What the WAL held at open: Raft's log, hard state and newest snapshot marker. */
    public WalReplay replay() {
        return replay;
    }

    /**
     * The cluster identity: fixed when the member first starts, as etcd records it in its
     * WAL, so later changes to the bootstrap flags do not change the IDs of existing data.
     */
    public MemberIdentity identity(MemberIdentity fromFlags) throws IOException {
        return IdentityFile.loadOrCreate(memberDir.resolve("identity"), fromFlags);
    }

    public Wal wal() {
        return wal;
    }

    /** {@code member/snap}: snapshot files, and temporary files that a restart deletes. */
    public Path snapDir() {
        return memberDir.resolve("snap");
    }

    public Snapshotter snapshotter() {
        return snapshotter;
    }

    public Backend backend() {
        return backend;
    }

    public MvccStore store() {
        return store;
    }

    /** Closes the WAL, then the backend (whose close records that it is consistent). */
    @Override
    public void close() throws IOException {
        wal.close();
        backend.close();
    }
}
