package io.ketch.mvcc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.mapdb.BTreeMap;
import org.mapdb.CC;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;
import org.mapdb.StoreDirect;

/**
 * The on-disk store: a MapDB 3.1 file holding named buckets of byte[] -> byte[] records, as
 * etcd's bbolt buckets. Bucket {@value #KEY_BUCKET} maps revision bytes to marshaled
 * mvccpb.KeyValue (exactly what etcd stores); bucket {@value #META_BUCKET} holds small
 * values under string names (consistent_index, consistent_term, scheduledCompactRev,
 * finishedCompactRev). Other packages may keep their own buckets here (lease, auth, ...).
 *
 * <p>MapDB runs without its write-ahead log on a {@link CachedFileVolume}: the file is held
 * in memory and written back at each {@link #sync()} and at close. A MapDB file that was not
 * closed cleanly may be silently damaged, so the file is treated as a cache of
 * (snapshot + Raft log): {@link #close()} writes a clean-close marker as its last step, and
 * {@link #open} removes that marker (and commits the removal) before anything else happens.
 * {@link #wasClosedCleanly()} is therefore true only if the previous session ended in a
 * completed close(). If MapDB itself refuses the file (its header says it was not closed),
 * open() replaces it with an empty file and reports false.
 *
 * <p>Because nothing is trusted without the marker, writes need no fsync: the consistent
 * index is kept in memory and written to {@value #META_BUCKET} by {@link #sync()},
 * {@link #forEachRecord} and {@link #close()}.
 *
 * <p>Thread-safety: MapDB maps are concurrent; any thread may read while one thread writes.
 */
public final class Backend implements AutoCloseable {

    public static final String KEY_BUCKET = "key";
    public static final String META_BUCKET = "meta";

    public static final String CONSISTENT_INDEX = "consistent_index";
    public static final String CONSISTENT_TERM = "consistent_term";
    public static final String SCHEDULED_COMPACT_REV = "scheduledCompactRev";
    public static final String FINISHED_COMPACT_REV = "finishedCompactRev";
    /** Present only between a completed close() and the next open(). */
    public static final String CLEAN_CLOSE = "ketch_clean_close";

    private static final byte[] CONSISTENT_INDEX_KEY = bytes(CONSISTENT_INDEX);
    private static final byte[] CONSISTENT_TERM_KEY = bytes(CONSISTENT_TERM);
    private static final byte[] CLEAN_CLOSE_KEY = bytes(CLEAN_CLOSE);

    /** Receives records in {@link #forEachRecord}. */
    @FunctionalInterface
    public interface RecordVisitor {
        void visit(String bucket, byte[] key, byte[] value);
    }

    private final Path file;
    private final CachedFileVolume volume;
    private final DB db;
    private final boolean closedCleanly;
    private final Map<String, BTreeMap<byte[], byte[]>> buckets = new ConcurrentHashMap<>();
    private final BTreeMap<byte[], byte[]> keyBucket;
    private final BTreeMap<byte[], byte[]> metaBucket;
    private volatile long consistentIndex;
    private volatile long consistentTerm;
    private volatile boolean indexDirty;
    private volatile boolean closed;

    /** An open MapDB store and the volume under it. */
    private record Store(DB db, CachedFileVolume volume) {}

    private Backend(Path file, Store store, boolean closedCleanly) {
        this.file = file;
        this.volume = store.volume();
        this.db = store.db();
        for (String name : db.getAllNames()) {
            bucket(name);
        }
        this.keyBucket = bucket(KEY_BUCKET);
        this.metaBucket = bucket(META_BUCKET);
        boolean marker = metaBucket.remove(CLEAN_CLOSE_KEY) != null;
        // commit the removal now, so that a crash from here on leaves no marker behind
        db.commit();
        this.closedCleanly = closedCleanly && marker;
        this.consistentIndex = decodeLong(metaBucket.get(CONSISTENT_INDEX_KEY));
        this.consistentTerm = decodeLong(metaBucket.get(CONSISTENT_TERM_KEY));
    }

    /**
     * Opens (or creates) the backend file. Never fails because of a damaged or unclean file:
     * such a file is replaced by an empty one and {@link #wasClosedCleanly()} reports false.
     */
    public static Backend open(Path file) {
        boolean existed = Files.exists(file);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Store store;
            try {
                store = make(file);
            } catch (DBException.DataCorruption | DBException.WrongFormat | DBException.VolumeEOF
                    | DBException.NewMapDBFormat | DBException.SerializationError e) {
                // MapDB refuses the file (typically "Header checksum broken. Store was not
                // closed correctly"): it is a cache, so start over with an empty one.
                Files.deleteIfExists(file);
                store = make(file);
                existed = false;
            }
            return new Backend(file, store, existed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Store make(Path file) throws IOException {
        boolean exists = Files.exists(file) && Files.size(file) > 0;
        CachedFileVolume volume = new CachedFileVolume(file.toFile(), CC.PAGE_SHIFT);
        try {
            return new Store(DBMaker.volumeDB(volume, exists).make(), volume);
        } catch (RuntimeException e) {
            volume.abandon();
            throw e;
        }
    }

    /** True only if the file existed and the previous session's close() completed. */
    public boolean wasClosedCleanly() {
        return closedCleanly;
    }

    public Path file() {
        return file;
    }

    // ---- buckets ----

    private BTreeMap<byte[], byte[]> bucket(String name) {
        BTreeMap<byte[], byte[]> b = buckets.get(name);
        if (b != null) {
            return b;
        }
        synchronized (buckets) {
            b = buckets.get(name);
            if (b == null) {
                DB.TreeMapMaker<byte[], byte[]> maker =
                        db.treeMap(name, Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY);
                if (KEY_BUCKET.equals(name)) {
                    // KeyValues can be large: keep them out of the B-tree nodes so that an
                    // insert rewrites a small node, not 32 values.
                    maker = maker.valuesOutsideNodesEnable();
                }
                b = maker.createOrOpen();
                buckets.put(name, b);
            }
            return b;
        }
    }

    /** The names of all buckets, sorted. */
    public List<String> bucketNames() {
        List<String> names = new ArrayList<>(buckets.keySet());
        names.sort(null);
        return names;
    }

    public byte[] get(String bucket, byte[] key) {
        if (META_BUCKET.equals(bucket)) {
            flushConsistentIndex();
        }
        return bucket(bucket).get(key);
    }

    /** Writes a record; also the bulk-import path (into an empty backend) for snapshots. */
    public void put(String bucket, byte[] key, byte[] value) {
        BTreeMap<byte[], byte[]> b = bucket(bucket);
        b.put(key, value);
        if (b == metaBucket) {
            if (java.util.Arrays.equals(key, CONSISTENT_INDEX_KEY)) {
                consistentIndex = decodeLong(value);
            } else if (java.util.Arrays.equals(key, CONSISTENT_TERM_KEY)) {
                consistentTerm = decodeLong(value);
            }
        }
    }

    public void delete(String bucket, byte[] key) {
        bucket(bucket).remove(key);
    }

    /** Records of a bucket with from <= key < to (null bounds are open), in key order. */
    public Iterator<Map.Entry<byte[], byte[]>> iterator(String bucket, byte[] from, byte[] to) {
        BTreeMap<byte[], byte[]> b = bucket(bucket);
        if (from == null && to == null) {
            return b.entryIterator();
        }
        return b.entryIterator(from, true, to, false);
    }

    /** Keys of a bucket with from <= key < to (null bounds are open), in key order. */
    public Iterator<byte[]> keyIterator(String bucket, byte[] from, byte[] to) {
        BTreeMap<byte[], byte[]> b = bucket(bucket);
        if (from == null && to == null) {
            return b.keyIterator();
        }
        return b.keyIterator(from, true, to, false);
    }

    // fast paths for the MVCC store

    byte[] getKv(byte[] revBytes) {
        return keyBucket.get(revBytes);
    }

    void putKv(byte[] revBytes, byte[] value) {
        keyBucket.put(revBytes, value);
    }

    void deleteKv(byte[] revBytes) {
        keyBucket.remove(revBytes);
    }

    byte[] getMeta(String name) {
        return metaBucket.get(bytes(name));
    }

    void putMeta(String name, byte[] value) {
        metaBucket.put(bytes(name), value);
    }

    /**
     * Every record of every bucket, buckets in name order, keys in order: the snapshot
     * export. The consistent index is written to meta first so the export carries it.
     * Concurrent writes may or may not be seen, so export with the writer paused (see
     * {@link MvccStore#exportSnapshot}).
     */
    public void forEachRecord(RecordVisitor visitor) {
        flushConsistentIndex();
        for (String name : bucketNames()) {
            Iterator<Map.Entry<byte[], byte[]>> it = bucket(name).entryIterator();
            while (it.hasNext()) {
                Map.Entry<byte[], byte[]> e = it.next();
                visitor.visit(name, e.getKey(), e.getValue());
            }
        }
    }

    // ---- consistent index ----

    public long consistentIndex() {
        return consistentIndex;
    }

    public long consistentTerm() {
        return consistentTerm;
    }

    /** Records the last applied Raft entry (written to meta at the next flush point). */
    public void setConsistentIndex(long index, long term) {
        consistentIndex = index;
        consistentTerm = term;
        indexDirty = true;
    }

    /**
     * Writes the consistent index into the meta bucket now (MapDB's memory; it reaches the
     * file at the next sync), e.g. so a copy of the bucket holds it.
     */
    public void publishConsistentIndex() {
        flushConsistentIndex();
    }

    private synchronized void flushConsistentIndex() {
        if (indexDirty) {
            indexDirty = false;
            metaBucket.put(CONSISTENT_INDEX_KEY, encodeLong(consistentIndex));
            metaBucket.put(CONSISTENT_TERM_KEY, encodeLong(consistentTerm));
        }
    }

    // ---- size ----

    /** Size of the file (as it is in memory; the file on disk catches up at the next sync). */
    public long sizeBytes() {
        return volume.length();
    }

    /** Bytes of the file in use by live records (file size minus MapDB's free space). */
    public long sizeInUseBytes() {
        if (db.getStore() instanceof StoreDirect sd) {
            return Math.max(0, sd.getTotalSize() - sd.getFreeSize());
        }
        return sizeBytes();
    }

    // ---- defragmentation ----

    /**
     * Shrinks the file to its live records (etcd's defrag), with MapDB 3.1's
     * {@code StoreDirect.compact()}: it copies every live record into an in-memory store
     * (so it needs heap for the live data), writes them back from the start of the file under
     * the same record ids, and truncates the file. Every bucket, record and the consistent
     * index stay as they were, and the open maps stay valid (they refer to record ids).
     *
     * <p>MapDB holds all its locks meanwhile, so other threads' reads and writes wait until it
     * is done. A crash in the middle leaves a damaged file, but never a clean-close marker, so
     * the next start rebuilds the file from the snapshot files and the WAL as after any crash.
     */
    public synchronized void defragment() {
        if (closed) {
            throw new IllegalStateException("backend " + file + " is closed");
        }
        flushConsistentIndex();
        db.commit();
        if (db.getStore() instanceof StoreDirect sd) {
            sd.compact();
            db.commit();
        }
    }

    // ---- lifecycle ----

    /** Writes the consistent index and flushes MapDB to disk (optional; close() does it). */
    public void sync() {
        flushConsistentIndex();
        db.commit();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Flushes everything, then writes the clean-close marker, then closes the file. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        flushConsistentIndex();
        db.commit();
        metaBucket.put(CLEAN_CLOSE_KEY, new byte[] {1});
        db.close();
    }

    // ---- encoding ----

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** 8-byte big-endian, as etcd stores consistent_index. */
    static byte[] encodeLong(long v) {
        byte[] b = new byte[8];
        Revision.putLong(b, 0, v);
        return b;
    }

    static long decodeLong(byte[] b) {
        return b == null || b.length < 8 ? 0 : Revision.getLong(b, 0);
    }
}
