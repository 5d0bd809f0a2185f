package io.ketch.server;

import io.ketch.membership.MembershipStore;
import java.util.ArrayList;
import java.util.List;

import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.snap.PortableSnapshot;
import io.ketch.snap.SnapshotMeta;
import io.ketch.snap.SnapshotReader;
import io.ketch.snap.Snapshotter;
import io.ketch.wal.SnapshotMarker;
import io.ketch.wal.Wal;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Turns a file saved from Maintenance.Snapshot into the data dir of one member of a new
 * cluster, as {@code etcdctl snapshot restore} does for etcd: the store holds the same keys,
 * history and revision (and alarms), while the cluster identity and membership come from the
 * bootstrap flags ({@code --initial-cluster} may name N members: run the restore once per
 * member, each with its {@code --name}), and the log starts afresh.
 *
 * <p>The data dir is complete and consistent by itself, as after a clean shutdown: a snapshot
 * file at entry (index {@value #INDEX}, term {@value #TERM}) — the truth the backend can
 * always be rebuilt from — the backend loaded from it with that consistent index and a
 * clean-close marker, a WAL holding only the marker of that snapshot, and the identity file.
 * (etcd likewise starts a restored member at commit index = number of members, term 1.)
 */
public final class SnapshotRestore {
    static final long INDEX = 1;
    static final long TERM = 1;

    /** What was restored. */
    public record Result(long revision, long compactRevision, MemberIdentity identity) {}

    private SnapshotRestore() {}

    /**
     * @throws IllegalArgumentException if the data dir (or the WAL dir) exists already (etcd's messages)
     * @throws io.ketch.snap.CorruptSnapshotException if the file is not an intact Ketch snapshot
     */
    public static Result restore(Path saved, Path dataDir, Optional<Path> walDirFlag, MemberIdentity identity)
            throws IOException {
        if (Files.exists(dataDir)) {
            throw new IllegalArgumentException("data-dir \"" + dataDir + "\" exists");
        }
        Path memberDir = dataDir.resolve("member");
        Path walDir = walDirFlag.orElse(memberDir.resolve("wal"));
        if (Files.exists(walDir)) {
            throw new IllegalArgumentException("wal-dir \"" + walDir + "\" exists");
        }
        if (!Files.isRegularFile(saved)) {
            throw new IllegalArgumentException("snapshot file \"" + saved + "\" does not exist");
        }
        Files.createDirectories(memberDir);
        Path extracted = memberDir.resolve("restore.tmp");
        try {
            PortableSnapshot.extract(saved, extracted);
            Result result;
            try (SnapshotReader reader = SnapshotReader.open(extracted);
                 Backend backend = Backend.open(memberDir.resolve("db"))) {
                while (reader.hasNext()) {
                    BackendSnapshot.load(backend, reader.next());
                }
                // The new cluster's membership comes from the flags (the identity file's founders,
                // seeded at the first start), never from the cluster the snapshot was taken in.
                for (String bucket : List.of(MembershipStore.BUCKET, MembershipStore.REMOVED_BUCKET)) {
                    List<byte[]> keys = new ArrayList<>();
                    backend.iterator(bucket, null, null).forEachRemaining(e -> keys.add(e.getKey()));
                    keys.forEach(k -> backend.delete(bucket, k));
                }
                backend.setConsistentIndex(INDEX, TERM);
                // rebuilds the index from the records (and finishes a compaction the copy had scheduled)
                MvccStore store = MvccStore.open(backend, 0);
                result = new Result(store.currentRevision(), store.compactedRevision(), identity);
                backend.sync();
                new Snapshotter(memberDir.resolve("snap")).save(new SnapshotMeta(INDEX, TERM, new byte[0]),
                        BackendSnapshot.records(backend));
            }
            try (Wal wal = Wal.open(walDir)) {
                wal.saveSnapshotMarker(new SnapshotMarker(INDEX, TERM));
                wal.sync();
            }
            IdentityFile.loadOrCreate(memberDir.resolve("identity"), identity);
            return result;
        } catch (IOException | RuntimeException e) {
            deleteTree(dataDir);
            if (walDirFlag.isPresent()) {
                deleteTree(walDir);
            }
            throw e;
        } finally {
            Files.deleteIfExists(extracted);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
