package io.ketch.mvcc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;

import io.ketch.errors.EtcdError;
import io.ketch.pb.mvcc.Event;
import io.ketch.pb.mvcc.KeyValue;

/**
 * The multi-version key-value store with etcd's semantics (etcd's mvcc.store): an in-memory
 * {@link TreeIndex} from keys to revisions, and the {@link Backend} holding every
 * revision's KeyValue under its revision bytes.
 *
 * <p>Revisions: a fresh store is at revision 1. A write transaction that changes something
 * gets exactly one new main revision, its changes sub-revisions 0, 1, 2, ...; one that
 * changes nothing leaves the revision alone.
 *
 * <p>Concurrency: one writer (the applier thread: write transactions and compaction, one at
 * a time, enforced by a lock) and any number of readers. The writer changes the index under
 * a short write lock per operation and publishes the new revision only in
 * {@link WriteTxn#end()}; readers capture the current revision and read the index at it, so
 * revisions of an unfinished transaction are invisible: a read sees a whole revision or
 * nothing. Backend records are immutable per revision until compaction; a reader holds the
 * compaction barrier (a read lock) while it fetches them, so a compaction waits for reads
 * already under way and later reads see the new compacted revision.
 *
 * <p>Reads of values go through a bounded cache of parsed KeyValues by revision (a record
 * never changes once its revision is published, so the cache needs no invalidation); only
 * cache misses reach MapDB.
 */
public final class MvccStore {

    /** Default bound of the value cache. */
    public static final long DEFAULT_CACHE_BYTES = 64L << 20;

    private static final System.Logger LOG = System.getLogger(MvccStore.class.getName());
    private static final byte[] KEY_BUCKET_NAME = Backend.KEY_BUCKET.getBytes(StandardCharsets.US_ASCII);
    private static final int COMPACTION_BATCH = 1000;

    /** Receives every committed revision's changes, on the writer thread, in revision order. */
    @FunctionalInterface
    public interface CommitListener {
        /**
         * @param revision the new revision
         * @param events   its changes in sub-revision order: PUT with the new KeyValue, DELETE
         *                 with a KeyValue holding the key and mod_revision = revision
         */
        void committed(long revision, List<Event> events);
    }

    /** Receives the changes of a write transaction (see {@link WriteTxn#forEachChange}). */
    @FunctionalInterface
    public interface ChangeVisitor {
        /**
         * @param kv      the KeyValue written; for a deletion it holds only the key
         * @param deleted true for a deletion
         */
        void visit(KeyValue kv, boolean deleted);
    }

    private final Backend backend;
    private final TreeIndex index = new TreeIndex();
    /** Guards the index structure and the (currentRev, compactMainRev) pair. */
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock();
    /** Read: a reader fetching backend records. Write: a compaction changing compactMainRev. */
    private final ReentrantReadWriteLock compactBarrier = new ReentrantReadWriteLock();
    /** Read: a hash scan. Write: a whole compaction (revision switch and record removal). */
    private final ReentrantReadWriteLock scanLock = new ReentrantReadWriteLock();
    /** The single writer: write transactions and compactions. */
    private final ReentrantLock writerLock = new ReentrantLock();

    private volatile long currentRev = 1;
    private volatile long compactMainRev = -1;
    private volatile CommitListener listener;
    /** Published KeyValues by revision; null when disabled. */
    private final Cache<Revision, KeyValue> cache;

    private MvccStore(Backend backend, long cacheBytes) {
        this.backend = backend;
        this.cache = cacheBytes <= 0 ? null
                : CacheBuilder.newBuilder()
                        .maximumWeight(cacheBytes)
                        .weigher((Revision r, KeyValue kv) -> kv.getSerializedSize() + 96)
                        .concurrencyLevel(4)
                        .build();
    }

    /**
     * Opens the store on a backend, rebuilding the index from its records (etcd's restore),
     * and finishing a compaction that was scheduled but not finished.
     */
    public static MvccStore open(Backend backend) {
        return open(backend, DEFAULT_CACHE_BYTES);
    }

    /** As {@link #open(Backend)}, with a value cache of at most cacheBytes (0 = none). */
    public static MvccStore open(Backend backend, long cacheBytes) {
        MvccStore s = new MvccStore(backend, cacheBytes);
        s.restore();
        return s;
    }

    public Backend backend() {
        return backend;
    }

    /** The revision of the last completed write transaction. */
    public long currentRevision() {
        return currentRev;
    }

    /** The last compacted revision, -1 if the store was never compacted (as etcd). */
    public long compactedRevision() {
        return compactMainRev;
    }

    /** The index of the last applied Raft entry. */
    public long consistentIndex() {
        return backend.consistentIndex();
    }

    public long consistentTerm() {
        return backend.consistentTerm();
    }

    /**
     * Records the last applied Raft entry without a transaction (an entry that changes no
     * key, e.g. a compaction or a request that failed). Writer thread only.
     */
    public void setConsistentIndex(long raftIndex, long raftTerm) {
        backend.setConsistentIndex(raftIndex, raftTerm);
    }

    /** Sets (or clears, with null) the listener of committed revisions (watch). */
    public void setCommitListener(CommitListener l) {
        this.listener = l;
    }

    /** Number of keys in the index (alive or with history not yet compacted). */
    public int indexedKeys() {
        indexLock.readLock().lock();
        try {
            return index.size();
        } finally {
            indexLock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ reads

    /** A one-shot read at the current revision (or atRev); see {@link KvView#range}. */
    public RangeResult range(byte[] key, byte[] end, long atRev, long limit, boolean countOnly) {
        try (ReadTxn t = beginRead()) {
            return t.range(key, end, atRev, limit, countOnly);
        }
    }

    /**
     * Starts a read transaction: a consistent view at the current revision. Close it on the
     * thread that opened it; until then compaction waits, so keep it short, and do not
     * compact or hash from inside one.
     */
    public ReadTxn beginRead() {
        return new ReadTxn();
    }

    /** A read transaction pinned at the revision current when it began. */
    public final class ReadTxn implements KvView, AutoCloseable {
        private final long rev;
        private final long firstRev;
        private boolean closed;

        private ReadTxn() {
            compactBarrier.readLock().lock();
            indexLock.readLock().lock();
            try {
                rev = currentRev;
                firstRev = compactMainRev;
            } finally {
                indexLock.readLock().unlock();
            }
        }

        @Override
        public long revision() {
            return rev;
        }

        @Override
        public long compactRevision() {
            return firstRev;
        }

        @Override
        public RangeResult range(byte[] key, byte[] end, long atRev, long limit, boolean countOnly) {
            if (closed) {
                throw new IllegalStateException("read txn is closed");
            }
            return rangeKeys(key, end, atRev, limit, countOnly, rev, firstRev);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                compactBarrier.readLock().unlock();
            }
        }
    }

    /**
     * etcd's rangeKeys: checks atRev against the view, reads the index under its lock, then
     * fetches the values by revision. The caller holds the compaction barrier (or is the
     * writer), so the revisions found stay in the backend while they are fetched.
     */
    private RangeResult rangeKeys(byte[] key, byte[] end, long atRev, long limit, boolean countOnly,
            long curRev, long firstRev) {
        if (atRev > curRev) {
            throw EtcdError.FUTURE_REV.exception();
        }
        long rev = atRev <= 0 ? curRev : atRev;
        if (rev < firstRev) {
            throw EtcdError.COMPACTED.exception();
        }
        if (countOnly) {
            long n;
            indexLock.readLock().lock();
            try {
                n = index.count(key, end, rev);
            } finally {
                indexLock.readLock().unlock();
            }
            return new RangeResult(List.of(), n, curRev);
        }
        TreeIndex.RangeResult ir;
        indexLock.readLock().lock();
        try {
            ir = index.range(key, end, rev, limit);
        } finally {
            indexLock.readLock().unlock();
        }
        List<Revision> revs = ir.revisions();
        if (revs.isEmpty()) {
            return new RangeResult(List.of(), ir.total(), curRev);
        }
        KeyValue[] kvs = new KeyValue[revs.size()];
        byte[] rb = new byte[Revision.BYTES_LEN];
        for (int i = 0; i < kvs.length; i++) {
            kvs[i] = fetch(revs.get(i), rb);
        }
        return new RangeResult(Arrays.asList(kvs), ir.total(), curRev);
    }

    /** The KeyValue stored at revision r, from the cache or the backend. */
    private KeyValue fetch(Revision r, byte[] scratch) {
        Cache<Revision, KeyValue> c = cache;
        if (c != null) {
            KeyValue kv = c.getIfPresent(r);
            if (kv != null) {
                return kv;
            }
        }
        Revision.write(r.main(), r.sub(), scratch);
        byte[] v = backend.getKv(scratch);
        if (v == null) {
            throw new IllegalStateException("mvcc: revision " + r + " missing from the backend");
        }
        KeyValue kv = parseKv(v);
        // only published revisions: an unfinished txn's record may yet be rolled back and its
        // revision reused
        if (c != null && r.main() <= currentRev) {
            c.put(r, kv);
        }
        return kv;
    }

    /** Parses a stored KeyValue; its byte fields alias the (fresh, private) array. */
    static KeyValue parseKv(byte[] v) {
        try {
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(v).newCodedInput();
            in.enableAliasing(true);
            return KeyValue.parseFrom(in);
        } catch (IOException e) {
            throw new IllegalStateException("mvcc: cannot unmarshal a KeyValue", e);
        }
    }

    /**
     * Visits the changes of revisions fromRev..toRev (inclusive) in revision order, read from
     * the backend as etcd's watch sync does: PUT events with the stored KeyValue, DELETE
     * events with the key and mod_revision = the deletion's revision.
     *
     * <p>Reading from the compacted revision itself is allowed, as etcd's watch allows a start
     * revision equal to it: the records compaction keeps at that revision (each key's value if
     * alive) are visited, the rest of it may be gone.
     *
     * @throws io.ketch.errors.EtcdException COMPACTED if fromRev < the compacted revision
     *         (those changes may be gone), FUTURE_REV if toRev > the current revision
     */
    public void forEachEvent(long fromRev, long toRev, java.util.function.Consumer<Event> visitor) {
        compactBarrier.readLock().lock();
        try {
            if (fromRev < compactMainRev) {
                throw EtcdError.COMPACTED.exception();
            }
            if (toRev > currentRev) {
                throw EtcdError.FUTURE_REV.exception();
            }
            if (fromRev > toRev) {
                return;
            }
            Iterator<Map.Entry<byte[], byte[]>> it = backend.iterator(Backend.KEY_BUCKET,
                    Revision.toBytes(fromRev, 0, false), Revision.toBytes(toRev + 1, 0, false));
            while (it.hasNext()) {
                Map.Entry<byte[], byte[]> e = it.next();
                KeyValue kv = parseKv(e.getValue());
                if (Revision.isTombstone(e.getKey())) {
                    visitor.accept(Event.newBuilder().setType(Event.EventType.DELETE)
                            .setKv(kv.toBuilder().setModRevision(Revision.mainOf(e.getKey()))).build());
                } else {
                    visitor.accept(Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build());
                }
            }
        } finally {
            compactBarrier.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ writes

    /**
     * Starts the write transaction applying Raft entry (raftIndex, raftTerm). Exclusive: one
     * at a time. Finish with {@link WriteTxn#end()} (or {@link WriteTxn#abort()}).
     */
    public WriteTxn beginWrite(long raftIndex, long raftTerm) {
        writerLock.lock();
        return new WriteTxn(raftIndex, raftTerm);
    }

    /** One change of a write transaction: enough to publish it or to undo it. */
    private record Change(byte[] key, KeyIndex ki, boolean newKeyIndex, boolean tombstone,
            long prevModMain, long prevModSub, byte[] revBytes, KeyValue kv) {}

    /**
     * A write transaction (etcd's storeTxnWrite). Its reads see its own writes; nobody else
     * sees them before {@link #end()}.
     */
    public final class WriteTxn implements KvView, AutoCloseable {
        private final long raftIndex;
        private final long raftTerm;
        private final long beginRev;
        private final List<Change> changes = new ArrayList<>(4);
        private boolean done;

        private WriteTxn(long raftIndex, long raftTerm) {
            this.raftIndex = raftIndex;
            this.raftTerm = raftTerm;
            this.beginRev = currentRev;
        }

        /** The revision reads see: the begin revision, +1 once something changed. */
        @Override
        public long revision() {
            return changes.isEmpty() ? beginRev : beginRev + 1;
        }

        /** The revision the store was at when the txn began. */
        public long beginRevision() {
            return beginRev;
        }

        @Override
        public long compactRevision() {
            return compactMainRev;
        }

        public boolean hasChanges() {
            return !changes.isEmpty();
        }

        private void checkOpen() {
            if (done) {
                throw new IllegalStateException("write txn already ended");
            }
        }

        @Override
        public RangeResult range(byte[] key, byte[] end, long atRev, long limit, boolean countOnly) {
            checkOpen();
            return rangeKeys(key, end, atRev, limit, countOnly, revision(), compactMainRev);
        }

        /** Puts a key (the byte arrays are copied). Returns the txn's new revision. */
        public long put(byte[] key, byte[] value, long lease) {
            return put(ByteString.copyFrom(key), ByteString.copyFrom(value), lease);
        }

        /**
         * Puts a key: a new version in the key's current generation, or a new generation
         * (create_revision = this revision, version 1) if the key does not exist. Returns the
         * txn's new revision (etcd's header revision for the put).
         */
        public long put(ByteString key, ByteString value, long lease) {
            checkOpen();
            long rev = beginRev + 1;
            long sub = changes.size();
            byte[] k = key.toByteArray();
            KeyIndex ki = index.keyIndex(k);
            long created = rev;
            long ver = 0;
            if (ki != null) {
                KeyIndex.Get g = ki.get(rev);
                if (g != null) {
                    created = g.created().main();
                    ver = g.version();
                }
            }
            KeyValue kv = KeyValue.newBuilder()
                    .setKey(key)
                    .setValue(value)
                    .setCreateRevision(created)
                    .setModRevision(rev)
                    .setVersion(ver + 1)
                    .setLease(lease)
                    .build();
            byte[] rb = Revision.toBytes(rev, sub, false);
            backend.putKv(rb, kv.toByteArray());
            long prevMain = 0;
            long prevSub = 0;
            boolean fresh = ki == null;
            indexLock.writeLock().lock();
            try {
                if (fresh) {
                    ki = index.put(k, rev, sub);
                } else {
                    Revision m = ki.modified();
                    prevMain = m.main();
                    prevSub = m.sub();
                    ki.put(rev, sub);
                }
            } finally {
                indexLock.writeLock().unlock();
            }
            changes.add(new Change(k, ki, fresh, false, prevMain, prevSub, rb, kv));
            return rev;
        }

        /** Deletes the keys in the range; see {@link #deleteRange(byte[], byte[], boolean)}. */
        public List<KeyValue> deleteRange(byte[] key, byte[] end) {
            return deleteRange(key, end, true).prevKvs();
        }

        /**
         * Deletes every key alive in the range (range ends as {@link KvView#range}): each gets
         * a tombstone record (a KeyValue holding only the key, under the revision bytes marked
         * 't'). Deleting nothing changes nothing.
         */
        public DeleteResult deleteRange(byte[] key, byte[] end, boolean withPrevKvs) {
            checkOpen();
            long readRev = revision();
            TreeIndex.RangeResult ir;
            indexLock.readLock().lock();
            try {
                ir = index.range(key, end, readRev, 0);
            } finally {
                indexLock.readLock().unlock();
            }
            List<KeyValue> prev = List.of();
            if (withPrevKvs && !ir.keys().isEmpty()) {
                prev = new ArrayList<>(ir.keys().size());
                byte[] rb = new byte[Revision.BYTES_LEN];
                for (Revision r : ir.revisions()) {
                    prev.add(fetch(r, rb));
                }
            }
            for (byte[] k : ir.keys()) {
                delete(k);
            }
            long n = ir.keys().size();
            long rev = (n != 0 || !changes.isEmpty()) ? beginRev + 1 : beginRev;
            return new DeleteResult(n, prev, rev);
        }

        private void delete(byte[] k) {
            long rev = beginRev + 1;
            long sub = changes.size();
            byte[] rb = Revision.toBytes(rev, sub, true);
            KeyValue kv = KeyValue.newBuilder().setKey(UnsafeByteOperations.unsafeWrap(k)).build();
            backend.putKv(rb, kv.toByteArray());
            KeyIndex ki = index.keyIndex(k);
            Revision m = ki.modified();
            indexLock.writeLock().lock();
            try {
                if (!ki.tombstone(rev, sub)) {
                    throw new IllegalStateException("mvcc: tombstone on a deleted key");
                }
            } finally {
                indexLock.writeLock().unlock();
            }
            changes.add(new Change(k, ki, false, true, m.main(), m.sub(), rb, kv));
        }

        /**
         * Finishes the txn: publishes the new revision if anything changed, records the Raft
         * entry as applied, notifies the commit listener and releases the writer lock.
         * Returns the store's revision after the txn.
         */
        public long end() {
            checkOpen();
            done = true;
            try {
                long rev = beginRev;
                if (!changes.isEmpty()) {
                    rev = beginRev + 1;
                    if (cache != null) {
                        for (Change c : changes) {
                            if (!c.tombstone()) {
                                cache.put(new Revision(rev, Revision.subOf(c.revBytes())), c.kv());
                            }
                        }
                    }
                    indexLock.writeLock().lock();
                    try {
                        currentRev = rev;
                    } finally {
                        indexLock.writeLock().unlock();
                    }
                }
                backend.setConsistentIndex(raftIndex, raftTerm);
                CommitListener l = listener;
                if (l != null && !changes.isEmpty()) {
                    notifyListener(l, rev);
                }
                return rev;
            } finally {
                writerLock.unlock();
            }
        }

        private void notifyListener(CommitListener l, long rev) {
            List<Event> events = new ArrayList<>(changes.size());
            for (Change c : changes) {
                if (c.tombstone()) {
                    events.add(Event.newBuilder().setType(Event.EventType.DELETE)
                            .setKv(c.kv().toBuilder().setModRevision(rev)).build());
                } else {
                    events.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(c.kv()).build());
                }
            }
            try {
                l.committed(rev, Collections.unmodifiableList(events));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "commit listener failed at revision " + rev, e);
            }
        }

        /**
         * Undoes every change of the txn (newest first), records the Raft entry as applied
         * (it was: it failed deterministically) and releases the writer lock. The revision
         * does not move.
         */
        public void abort() {
            checkOpen();
            done = true;
            try {
                for (int i = changes.size() - 1; i >= 0; i--) {
                    Change c = changes.get(i);
                    backend.deleteKv(c.revBytes());
                    indexLock.writeLock().lock();
                    try {
                        if (c.tombstone()) {
                            c.ki().undoTombstone(c.prevModMain(), c.prevModSub());
                        } else {
                            c.ki().undoPut(c.prevModMain(), c.prevModSub());
                            if (c.newKeyIndex()) {
                                index.remove(c.key());
                            }
                        }
                    } finally {
                        indexLock.writeLock().unlock();
                    }
                }
                changes.clear();
                backend.setConsistentIndex(raftIndex, raftTerm);
            } finally {
                writerLock.unlock();
            }
        }

        /**
         * Visits the txn's changes in order: after {@link #end()} the committed ones, after
         * {@link #abort()} none. (The lessor follows which keys hold which lease this way.)
         */
        public void forEachChange(ChangeVisitor visitor) {
            for (Change c : changes) {
                visitor.visit(c.kv(), c.tombstone());
            }
        }

        /** Ends the txn if still open (commits what was done). */
        @Override
        public void close() {
            if (!done) {
                end();
            }
        }
    }

    // ------------------------------------------------------------------ compaction

    /**
     * Compacts at rev: afterwards reads below rev fail with COMPACTED, and every backend
     * record with revision <= rev is removed except, per key, the newest one at rev if the key
     * is alive then (etcd's keep set). Runs to completion before returning.
     *
     * @throws io.ketch.errors.EtcdException COMPACTED if rev <= the compacted revision,
     *         FUTURE_REV if rev > the current revision
     */
    public CompactResult compact(long rev) {
        writerLock.lock();
        try {
            return compactLocked(rev);
        } finally {
            writerLock.unlock();
        }
    }

    private CompactResult compactLocked(long rev) {
        // Hash scans must see either no trace of this compaction or all of it.
        scanLock.writeLock().lock();
        try {
            Set<Revision> keep;
            // Wait for reads under way (they may read below rev), then switch the compacted
            // revision and compact the index; later reads see the new compacted revision.
            compactBarrier.writeLock().lock();
            try {
                indexLock.writeLock().lock();
                try {
                    if (rev <= compactMainRev) {
                        throw EtcdError.COMPACTED.exception();
                    }
                    if (rev > currentRev) {
                        throw EtcdError.FUTURE_REV.exception();
                    }
                    compactMainRev = rev;
                    backend.putMeta(Backend.SCHEDULED_COMPACT_REV, Revision.toBytes(rev, 0, false));
                    keep = index.compact(rev);
                } finally {
                    indexLock.writeLock().unlock();
                }
            } finally {
                compactBarrier.writeLock().unlock();
            }
            long deleted = removeCompacted(rev, keep);
            return new CompactResult(rev, currentRev, deleted);
        } finally {
            scanLock.writeLock().unlock();
        }
    }

    /** Physically removes the records <= rev not in keep, then records the compaction done. */
    private long removeCompacted(long rev, Set<Revision> keep) {
        byte[] end = Revision.toBytes(rev + 1, 0, false);
        byte[] from = new byte[0];
        long deleted = 0;
        List<byte[]> batch = new ArrayList<>(COMPACTION_BATCH);
        while (true) {
            batch.clear();
            byte[] last = null;
            int seen = 0;
            Iterator<byte[]> it = backend.keyIterator(Backend.KEY_BUCKET, from, end);
            while (it.hasNext() && seen < COMPACTION_BATCH) {
                byte[] k = it.next();
                seen++;
                last = k;
                if (!keep.contains(Revision.fromBytes(k))) {
                    batch.add(k);
                }
            }
            for (byte[] k : batch) {
                backend.deleteKv(k);
                if (cache != null) {
                    cache.invalidate(Revision.fromBytes(k));
                }
            }
            deleted += batch.size();
            if (seen < COMPACTION_BATCH) {
                break;
            }
            from = Arrays.copyOf(last, last.length + 1); // the smallest key after last
        }
        backend.putMeta(Backend.FINISHED_COMPACT_REV, Revision.toBytes(rev, 0, false));
        return deleted;
    }

    // ------------------------------------------------------------------ hash

    /**
     * etcd's HashKV (3.4 HashByRev): CRC-32C over the bucket name "key" and then, in key
     * order, the key and value bytes of every record with revision main <= rev, skipping
     * records at or below the compacted revision that a compaction at rev would not keep
     * (unless that keep set is empty, as etcd). rev 0 means the current revision.
     */
    public HashResult hashByRev(long rev) {
        // Excludes compactions for the whole scan (not reads, not writes: records above the
        // current revision are skipped, records at or below it are immutable).
        scanLock.readLock().lock();
        try {
            long compactRev;
            long curRev;
            Set<Revision> keep;
            indexLock.readLock().lock();
            try {
                compactRev = compactMainRev;
                curRev = currentRev;
                if (rev > 0 && rev <= compactRev) {
                    throw EtcdError.COMPACTED.exception();
                }
                if (rev > 0 && rev > curRev) {
                    throw EtcdError.FUTURE_REV.exception();
                }
                if (rev <= 0) {
                    rev = curRev;
                }
                keep = index.keep(rev);
            } finally {
                indexLock.readLock().unlock();
            }
            CRC32C h = new CRC32C();
            h.update(KEY_BUCKET_NAME);
            byte[] upper = Revision.toBytes(rev + 1, 0, false);
            Iterator<Map.Entry<byte[], byte[]>> it = backend.iterator(Backend.KEY_BUCKET, new byte[0], upper);
            while (it.hasNext()) {
                Map.Entry<byte[], byte[]> e = it.next();
                byte[] k = e.getKey();
                // skip what the compaction removes (unless the keep set is empty, as etcd)
                if (Revision.mainOf(k) <= compactRev && !keep.isEmpty()
                        && !keep.contains(Revision.fromBytes(k))) {
                    continue;
                }
                h.update(k);
                h.update(e.getValue());
            }
            return new HashResult((int) h.getValue(), compactRev, rev, curRev);
        } finally {
            scanLock.readLock().unlock();
        }
    }

    // ------------------------------------------------------------------ snapshot

    /**
     * Streams every backend record (all buckets, see {@link Backend#forEachRecord}) with MVCC
     * writes and compactions held off, so the key bucket and the consistent index are one
     * consistent state. Other packages' buckets are consistent too if this runs on the
     * applier thread (or while it is paused). Importing the records into an empty backend
     * and opening a store on it gives back this state.
     */
    public void exportSnapshot(Backend.RecordVisitor visitor) {
        writerLock.lock();
        try {
            backend.forEachRecord(visitor);
        } finally {
            writerLock.unlock();
        }
    }

    /**
     * Pins the key bucket at the current revision for a point-in-time copy: until the pin is
     * closed, compactions wait (writes go on, above the pinned revision), so every record at
     * or below it stays exactly as it is. Take it while the applier is paused if the other
     * buckets are copied too, so that all of them describe the same applied entry. Close it
     * on the thread that took it; a compaction requested meanwhile waits for the close.
     */
    public ExportPin pinForExport() {
        return new ExportPin();
    }

    /** See {@link #pinForExport()}. */
    public final class ExportPin implements AutoCloseable {
        private final long rev;
        private final long compactRev;
        private boolean closed;

        private ExportPin() {
            scanLock.readLock().lock();
            indexLock.readLock().lock();
            try {
                rev = currentRev;
                compactRev = compactMainRev;
            } finally {
                indexLock.readLock().unlock();
            }
        }

        /** The pinned revision: the copy holds everything up to it and nothing after. */
        public long revision() {
            return rev;
        }

        public long compactRevision() {
            return compactRev;
        }

        /** The key bucket's records with revision main <= {@link #revision()}, in key order. */
        public Iterator<Map.Entry<byte[], byte[]>> keyRecords() {
            if (closed) {
                throw new IllegalStateException("export pin is closed");
            }
            return backend.iterator(Backend.KEY_BUCKET, new byte[0], Revision.toBytes(rev + 1, 0, false));
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                scanLock.readLock().unlock();
            }
        }
    }

    // ------------------------------------------------------------------ restore

    /** etcd's restore: rebuilds the index by scanning the key bucket in revision order. */
    private void restore() {
        writerLock.lock();
        try {
            byte[] finished = backend.getMeta(Backend.FINISHED_COMPACT_REV);
            long compactRev = finished != null && finished.length >= Revision.BYTES_LEN
                    ? Revision.mainOf(finished) : -1;
            byte[] scheduledBytes = backend.getMeta(Backend.SCHEDULED_COMPACT_REV);
            long scheduled = scheduledBytes != null && scheduledBytes.length >= Revision.BYTES_LEN
                    ? Revision.mainOf(scheduledBytes) : 0;

            long rev = 1;
            Iterator<Map.Entry<byte[], byte[]>> it = backend.iterator(Backend.KEY_BUCKET, null, null);
            while (it.hasNext()) {
                Map.Entry<byte[], byte[]> e = it.next();
                byte[] rk = e.getKey();
                long main = Revision.mainOf(rk);
                long sub = Revision.subOf(rk);
                boolean tomb = Revision.isTombstone(rk);
                KeyValue kv = parseKv(e.getValue());
                byte[] key = kv.getKey().toByteArray();
                KeyIndex ki = index.keyIndex(key);
                if (ki != null) {
                    if (tomb) {
                        ki.tombstone(main, sub);
                    } else {
                        ki.put(main, sub);
                    }
                } else if (!tomb) {
                    ki = new KeyIndex(key);
                    ki.restore(new Revision(kv.getCreateRevision(), 0), new Revision(main, sub), kv.getVersion());
                    index.insert(ki);
                }
                rev = main;
            }
            if (scheduled <= compactRev) {
                scheduled = 0;
            }
            // Records above a compacted revision are never removed and every revision has at
            // least one record, so the current revision is the newest record's, or the
            // compaction's if that removed everything above it.
            currentRev = Math.max(rev, Math.max(compactRev, scheduled));
            compactMainRev = compactRev;
            if (scheduled != 0) {
                compactLocked(scheduled);
            }
        } finally {
            writerLock.unlock();
        }
    }

    /** Structural equality of the indexes (tests: restored equals live). */
    boolean indexSameAs(MvccStore other) {
        indexLock.readLock().lock();
        try {
            return index.sameAs(other.index);
        } finally {
            indexLock.readLock().unlock();
        }
    }
}
