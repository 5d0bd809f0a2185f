package io.ketch.wal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The write-ahead log: Raft entries, hard states and snapshot markers in a chain of preallocated segment
 * files (format in {@code package-info.java}).
 *
 * <p>Durability: {@link #append} and {@link #saveSnapshotMarker} only buffer; nothing is durable until
 * {@link #sync()} returns. Records accumulate in one direct buffer and reach the file in as few writes as
 * possible (one per sync for a batch up to 1 MiB), then one fdatasync.
 *
 * <p>Thread-safety: not thread-safe. One writer thread calls everything except {@link #lastIndex()}, which
 * may be read from any thread. The only internal concurrency is the background thread that preallocates
 * the next segment.
 *
 * <p>After an I/O error while writing, the instance refuses further use: what reached the disk is then
 * unknown (a failed fsync may have dropped dirty pages), so the only safe continuation is to reopen and
 * replay what is actually there.
 */
public final class Wal implements Closeable {
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    static final long MIN_SEGMENT_BYTES = 1024;
    /** Initial size of the append buffer; appends accumulate up to this before being written. */
    private static final int BUFFER_BYTES = 1 << 20;

    private final Path dir;
    /** Oldest first; the last one is {@link #current}. */
    private final List<SegmentName> segments;
    private final SegmentPreallocator preallocator;
    private final RecordBuffer pending = new RecordBuffer(BUFFER_BYTES);
    private final RecordBuffer segmentHeader = new RecordBuffer(256);

    private FileChannel current;
    /** Offset in {@link #current} where the next record goes; everything before it is valid records. */
    private long writeOffset;
    /** Bytes preallocated for {@link #current}; records are not written past it except a lone oversized one. */
    private long capacity;
    /** Whether {@link #current} holds appended records (not just the state copied in when it was started). */
    private boolean currentHasAppends;

    // The writer's view: everything appended, including records still in `pending`.
    private volatile long lastIndex;
    private SnapshotMarker snapshot;

    // What has been written to the files (not necessarily fsynced): the state a new segment starts from.
    private long writtenLastIndex;
    private HardState writtenHardState;
    private SnapshotMarker writtenSnapshot;

    private boolean unsynced;
    private IOException failure;
    private boolean closed;
    private WalReplay replay;

    private Wal(Path dir, List<SegmentName> segments, FileChannel current, long tailOffset, long capacity,
            WalReplay replay, long segmentBytes) {
        this.dir = dir;
        this.segments = segments;
        this.current = current;
        this.writeOffset = tailOffset;
        this.capacity = capacity;
        this.currentHasAppends = tailOffset > WalFormat.SEGMENT_HEADER_BYTES;
        this.replay = replay;
        List<WalEntry> entries = replay.entries();
        this.lastIndex = entries.isEmpty() ? replay.snapshot().index() : entries.getLast().index();
        this.snapshot = replay.snapshot();
        this.writtenLastIndex = lastIndex;
        this.writtenHardState = replay.hardState();
        this.writtenSnapshot = replay.snapshot();
        this.preallocator = new SegmentPreallocator(dir, segmentBytes);
    }

    public static Wal open(Path dir) throws IOException {
        return open(dir, DEFAULT_SEGMENT_BYTES);
    }

    /**
     * Opens (creating if needed) the WAL in {@code dir}, reads it, and repairs a torn tail in the last
     * segment so that appends continue right after the last good record.
     *
     * @throws IOException if a segment other than the last is corrupt, a segment is missing, the entries
     *     have a gap, or the WAL is already open
     */
    public static Wal open(Path dir, long segmentBytes) throws IOException {
        if (segmentBytes < MIN_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segmentBytes must be at least " + MIN_SEGMENT_BYTES + ": " + segmentBytes);
        }
        Files.createDirectories(dir);
        List<SegmentName> segments = new ArrayList<>(SegmentName.list(dir));
        if (segments.isEmpty()) {
            SegmentFiles.deleteTemporaryFiles(dir);
            return createFirstSegment(dir, segmentBytes);
        }
        FileChannel tail = SegmentFiles.openLocked(dir.resolve(segments.getLast().fileName()));
        try {
            // Only once we hold the lock: the *.tmp files may belong to a live instance's preallocator.
            SegmentFiles.deleteTemporaryFiles(dir);
            ReplayBuilder builder = new ReplayBuilder();
            long tailOffset = 0;
            for (int i = 0; i < segments.size(); i++) {
                boolean last = i == segments.size() - 1;
                long end = SegmentReader.read(dir.resolve(segments.get(i).fileName()), last, builder);
                if (last) {
                    tailOffset = end;
                }
            }
            WalReplay replay = builder.build();
            if (SegmentFiles.zeroPastTail(tail, tailOffset, segmentBytes)) {
                tail.force(true);
            }
            return new Wal(dir, segments, tail, tailOffset, tail.size(), replay, segmentBytes);
        } catch (IOException | RuntimeException e) {
            tail.close();
            throw e;
        }
    }

    private static Wal createFirstSegment(Path dir, long segmentBytes) throws IOException {
        SegmentName first = new SegmentName(0, 1);
        Path file = dir.resolve(first.fileName());
        Path tmp = dir.resolve("initial.tmp");
        SegmentFiles.createPreallocated(tmp, segmentBytes);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        SegmentFiles.fsyncDirectory(dir);
        FileChannel channel = SegmentFiles.openLocked(file);
        WalReplay empty = new WalReplay(SnapshotMarker.ZERO, HardState.EMPTY, List.of());
        return new Wal(dir, new ArrayList<>(List.of(first)), channel, WalFormat.SEGMENT_HEADER_BYTES, segmentBytes,
                empty, segmentBytes);
    }

    /**
     * What was read at open. Call once, before appending; the entries are released afterwards to free memory.
     */
    public WalReplay replay() {
        WalReplay r = replay;
        if (r == null) {
            throw new IllegalStateException("replay() may only be called once");
        }
        replay = null;
        return r;
    }

    /**
     * Buffers {@code entries} (contiguous, the first at most {@code lastIndex() + 1} and above the newest
     * snapshot marker) and, unless null or {@link HardState#EMPTY}, the hard state. An entry at an index
     * already in the log replaces it and drops every later one. Not durable until {@link #sync()}.
     */
    public void append(List<WalEntry> entries, HardState hardStateOrNull) throws IOException {
        ensureWritable();
        checkAppendable(entries);
        try {
            for (WalEntry e : entries) {
                makeRoom(WalFormat.entryRecordBytes(e));
                pending.putEntry(e);
            }
            if (!entries.isEmpty()) {
                lastIndex = entries.getLast().index();
            }
            if (hardStateOrNull != null && !hardStateOrNull.equals(HardState.EMPTY)) {
                makeRoom(WalFormat.RECORD_HEADER_BYTES + WalFormat.HARD_STATE_BYTES);
                pending.putHardState(hardStateOrNull);
            }
        } catch (IOException e) {
            throw fail(e);
        }
    }

    private void checkAppendable(List<WalEntry> entries) {
        long previous = -1;
        for (WalEntry e : entries) {
            Objects.requireNonNull(e, "entry");
            if (e.data().length > WalFormat.MAX_ENTRY_DATA_BYTES) {
                throw new IllegalArgumentException("entry " + e.index() + " is too large: " + e.data().length + " bytes");
            }
            if (previous < 0) {
                if (e.index() <= snapshot.index()) {
                    throw new IllegalArgumentException("entry " + e.index()
                            + " is covered by the snapshot at index " + snapshot.index());
                }
                if (e.index() > lastIndex + 1) {
                    throw new IllegalArgumentException("entry " + e.index() + " would leave a gap after index " + lastIndex);
                }
            } else if (e.index() != previous + 1) {
                throw new IllegalArgumentException("entries must be contiguous: " + e.index() + " follows " + previous);
            }
            previous = e.index();
        }
    }

    /**
     * Buffers a marker saying a snapshot at {@code marker.index()} exists. Write it before the entries that
     * follow a snapshot received from a leader, since replay requires entries to continue from it.
     */
    public void saveSnapshotMarker(SnapshotMarker marker) throws IOException {
        ensureWritable();
        if (marker.index() < snapshot.index()) {
            throw new IllegalArgumentException("snapshot marker " + marker.index()
                    + " is older than the existing one at " + snapshot.index());
        }
        try {
            makeRoom(WalFormat.RECORD_HEADER_BYTES + WalFormat.SNAPSHOT_BYTES);
            pending.putSnapshot(marker);
        } catch (IOException e) {
            throw fail(e);
        }
        snapshot = marker;
        if (marker.index() > lastIndex) {
            lastIndex = marker.index();
        }
    }

    /** Makes everything appended so far durable (one write if needed, then fdatasync). */
    public void sync() throws IOException {
        ensureWritable();
        try {
            flush();
            if (unsynced) {
                current.force(false);
                unsynced = false;
            }
        } catch (IOException e) {
            throw fail(e);
        }
    }

    /**
     * Deletes the oldest segments whose live entries are all {@code <= index}, never the segment being
     * written. {@code index} is capped at the newest snapshot marker: entries not covered by a snapshot are
     * never released. Syncs first, so the marker is durable before anything it justifies is deleted.
     */
    public void releaseTo(long index) throws IOException {
        sync();
        long limit = Math.min(index, writtenSnapshot.index());
        boolean deleted = false;
        // Oldest first, so a crash part-way leaves a valid suffix of the chain.
        while (segments.size() > 1 && segments.get(1).firstIndex() - 1 <= limit) {
            Files.deleteIfExists(dir.resolve(segments.getFirst().fileName()));
            segments.removeFirst();
            deleted = true;
        }
        if (deleted) {
            SegmentFiles.fsyncDirectory(dir);
        }
    }

    /** The index of the last appended entry, or the snapshot index if no entry follows it; 0 when empty. */
    public long lastIndex() {
        return lastIndex;
    }

    /** Syncs and closes. After an earlier I/O error it only releases resources. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException error = null;
        try {
            if (failure == null) {
                flush();
                if (unsynced) {
                    current.force(false);
                }
            }
        } catch (IOException e) {
            error = fail(e);
        }
        try {
            current.close();
        } catch (IOException e) {
            error = merge(error, e);
        }
        try {
            preallocator.close();
        } catch (IOException e) {
            error = merge(error, e);
        }
        if (error != null) {
            throw error;
        }
    }

    /** Offset in the current segment where the next flushed record lands (tests). */
    long writeOffset() {
        return writeOffset;
    }

    private static IOException merge(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private void ensureWritable() throws IOException {
        if (closed) {
            throw new IllegalStateException("WAL in " + dir + " is closed");
        }
        if (failure != null) {
            throw new IOException("WAL in " + dir + " is unusable after an earlier I/O error; reopen it", failure);
        }
    }

    private IOException fail(IOException e) {
        failure = e;
        return e;
    }

    /** Writes out the buffer first if {@code recordBytes} more would not fit; the buffer grows only for one huge record. */
    private void makeRoom(int recordBytes) throws IOException {
        if (pending.size() > 0 && pending.size() + recordBytes > pending.capacity()) {
            flush();
        }
    }

    /**
     * Writes the buffered records: as many whole records as fit in the current segment in one write, then
     * a roll, and so on. Records never span segments.
     */
    private void flush() throws IOException {
        int end = pending.size();
        if (end == 0) {
            return;
        }
        ByteBuffer buf = pending.raw();
        int from = 0;
        while (from < end) {
            long room = capacity - writeOffset;
            int to = from;
            while (to < end) {
                int recordBytes = WalFormat.RECORD_HEADER_BYTES + buf.getInt(to);
                if (to - from + recordBytes > room) {
                    break;
                }
                noteWritten(buf, to);
                to += recordBytes;
            }
            if (to == from) {
                if (currentHasAppends) {
                    roll();
                    continue;
                }
                // A record larger than a whole segment gets a segment to itself, grown past its preallocation.
                noteWritten(buf, from);
                to = from + WalFormat.RECORD_HEADER_BYTES + buf.getInt(from);
            }
            write(buf, from, to);
            currentHasAppends = true;
            from = to;
        }
        pending.clear();
    }

    /** Tracks the state as of the record at {@code at}, which is about to be written. */
    private void noteWritten(ByteBuffer buf, int at) {
        int payload = at + WalFormat.RECORD_HEADER_BYTES;
        switch (buf.get(at + 8)) {
            case WalFormat.ENTRY -> writtenLastIndex = buf.getLong(payload);
            case WalFormat.HARD_STATE -> writtenHardState =
                    new HardState(buf.getLong(payload), buf.getLong(payload + 8), buf.getLong(payload + 16));
            case WalFormat.SNAPSHOT -> {
                writtenSnapshot = new SnapshotMarker(buf.getLong(payload), buf.getLong(payload + 8));
                writtenLastIndex = Math.max(writtenLastIndex, writtenSnapshot.index());
            }
            default -> throw new IllegalStateException("unknown record type in append buffer");
        }
    }

    private void write(ByteBuffer buf, int from, int to) throws IOException {
        buf.limit(to).position(from);
        writeOffset += SegmentFiles.writeFully(current, buf, writeOffset);
        buf.limit(buf.capacity());
        unsynced = true;
    }

    /**
     * Seals the current segment and continues in a fresh preallocated one, which starts with the latest
     * hard state and snapshot marker so that it, with its successors, replays correctly after older
     * segments are released.
     */
    private void roll() throws IOException {
        Path ready = preallocator.take();
        // A sealed segment ends exactly at its last record and is durable before any successor exists;
        // that is what lets replay treat a bad record in a non-last segment as corruption.
        current.truncate(writeOffset);
        current.force(true);
        SegmentName next = new SegmentName(segments.getLast().seq() + 1, writtenLastIndex + 1);
        Path file = dir.resolve(next.fileName());
        Files.move(ready, file, StandardCopyOption.ATOMIC_MOVE);
        SegmentFiles.fsyncDirectory(dir);
        FileChannel opened = SegmentFiles.openLocked(file);
        current.close();
        current = opened;
        segments.add(next);
        capacity = opened.size();
        writeOffset = WalFormat.SEGMENT_HEADER_BYTES;
        currentHasAppends = false;
        segmentHeader.clear();
        if (!writtenHardState.equals(HardState.EMPTY)) {
            segmentHeader.putHardState(writtenHardState);
        }
        if (!writtenSnapshot.equals(SnapshotMarker.ZERO)) {
            segmentHeader.putSnapshot(writtenSnapshot);
        }
        if (segmentHeader.size() > 0) {
            write(segmentHeader.raw(), 0, segmentHeader.size());
            segmentHeader.clear();
        }
    }
}
