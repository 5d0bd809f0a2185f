package io.ketch.snap;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * The directory of snapshot files ({@code %016x-%016x.snap}, term then index, in hex).
 *
 * <p>Invariant: a file with a {@code .snap} name was complete and fsynced before it got that name (it is
 * written under a {@code .tmp} name and atomically renamed), so a crash leaves either the old set of
 * snapshots or the new one, plus perhaps a {@code .tmp} that the next Snapshotter deletes.
 *
 * <p>Thread-safety: methods may be called from any thread; publishing a snapshot, retention and choosing
 * the newest are serialized, while writing snapshot contents proceeds in parallel.
 */
public final class Snapshotter {
    private static final System.Logger LOG = System.getLogger(Snapshotter.class.getName());
    public static final int DEFAULT_RETAIN = 2;

    private final Path dir;
    private final int retain;

    public Snapshotter(Path dir) {
        this(dir, DEFAULT_RETAIN);
    }

    /** @param retain how many of the newest snapshots {@link #save} keeps (at least 1) */
    public Snapshotter(Path dir, int retain) {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be at least 1: " + retain);
        }
        this.dir = dir;
        this.retain = retain;
        try {
            Files.createDirectories(dir);
            deleteMatching("*.tmp");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare snapshot directory " + dir, e);
        }
    }

    /**
     * Writes the snapshot to a temporary file, fsyncs it, renames it to its final name, fsyncs the
     * directory, then deletes all but the newest {@code retain} snapshots. Returns the final path.
     */
    public Path save(SnapshotMeta meta, Iterator<SnapshotRecord> records) throws IOException {
        SnapshotFileName name = SnapshotFileName.of(meta);
        Path tmp = Files.createTempFile(dir, name.fileName() + ".", ".tmp");
        try {
            SnapshotWriter.write(tmp, meta, records);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        Path target = dir.resolve(name.fileName());
        synchronized (this) {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory();
            applyRetention();
        }
        return target;
    }

    /**
     * The newest snapshot whose checksum verifies, opened for reading. A newest file that fails
     * verification is renamed to {@code *.broken} (kept for inspection) and the next older one is tried.
     */
    public synchronized Optional<SnapshotReader> openNewest() throws IOException {
        return openNewest(Long.MAX_VALUE);
    }

    /**
     * The newest verified snapshot at or below {@code maxIndex}; newer files are left alone (a
     * snapshot received from a leader whose installation the WAL has not recorded yet).
     */
    public synchronized Optional<SnapshotReader> openNewest(long maxIndex) throws IOException {
        for (SnapshotFileName name : names()) {
            if (name.index() > maxIndex) {
                continue;
            }
            Path file = dir.resolve(name.fileName());
            try {
                SnapshotReader reader = SnapshotReader.open(file);
                if (name.describes(reader.meta())) {
                    return Optional.of(reader);
                }
                reader.close();
                throw new CorruptSnapshotException(file, "header says index " + reader.meta().index()
                        + " term " + reader.meta().term() + ", which does not match the file name");
            } catch (CorruptSnapshotException e) {
                LOG.log(System.Logger.Level.WARNING, "skipping snapshot: {0}", e.getMessage());
                Files.move(file, file.resolveSibling(file.getFileName() + ".broken"), StandardCopyOption.REPLACE_EXISTING);
                fsyncDirectory();
            }
        }
        return Optional.empty();
    }

    /** The path a snapshot at this term and index has (or will have) in the snapshot directory. */
    public Path pathOf(long term, long index) {
        return dir.resolve(SnapshotFileName.of(new SnapshotMeta(index, term, new byte[0])).fileName());
    }

    /**
     * Puts a complete snapshot file (e.g. received from a leader) in place under its final
     * name: verifies every record's checksum and that its header says {@code term}/{@code index},
     * then renames it atomically and fsyncs the directory. Returns the final path.
     */
    public synchronized Path install(Path file, long term, long index) throws IOException {
        try (SnapshotReader reader = SnapshotReader.open(file)) {
            if (reader.meta().index() != index || reader.meta().term() != term) {
                throw new CorruptSnapshotException(file, "header says index " + reader.meta().index() + " term "
                        + reader.meta().term() + ", expected index " + index + " term " + term);
            }
            while (reader.hasNext()) {
                reader.next(); // each record's checksum is verified as it is read
            }
        }
        Path target = pathOf(term, index);
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory();
        return target;
    }

    /** Snapshots whose name and header agree, newest first. Checksums are not verified here. */
    public synchronized List<SnapshotMeta> list() throws IOException {
        List<SnapshotMeta> metas = new ArrayList<>();
        for (SnapshotFileName name : names()) {
            Path file = dir.resolve(name.fileName());
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
                SnapshotMeta meta = SnapshotReader.readHeader(in, file, Files.size(file));
                if (name.describes(meta)) {
                    metas.add(meta);
                }
            } catch (CorruptSnapshotException e) {
                // not valid-looking: leave it for openNewest to set aside
            }
        }
        return metas;
    }

    private List<SnapshotFileName> names() throws IOException {
        List<SnapshotFileName> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SnapshotFileName.SUFFIX)) {
            for (Path file : files) {
                SnapshotFileName name = SnapshotFileName.parse(file.getFileName().toString());
                if (name != null) {
                    names.add(name);
                }
            }
        }
        names.sort(SnapshotFileName.NEWEST_FIRST);
        return names;
    }

    private void applyRetention() throws IOException {
        List<SnapshotFileName> names = names();
        if (names.size() <= retain) {
            return;
        }
        for (SnapshotFileName old : names.subList(retain, names.size())) {
            Files.deleteIfExists(dir.resolve(old.fileName()));
        }
        fsyncDirectory();
    }

    private void deleteMatching(String glob) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }

    private void fsyncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
