package io.ketch.raft;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Snapshot;
import io.ketch.pb.raft.SnapshotMetadata;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LogStorage} held in memory: the simulator's "disk", and the cache the WAL-backed
 * driver keeps in front of its files. Not thread-safe: it is confined to the thread that
 * drives the {@link RawNode}.
 *
 * <p>Invariant: {@code entries.get(0)} is a dummy carrying the snapshot's index and term, so
 * that the term of the snapshot index stays known after compaction; real entries follow it
 * at consecutive indexes.
 */
public final class MemoryStorage implements LogStorage {
    private HardState hardState = HardState.getDefaultInstance();
    private Snapshot snapshot;
    private List<Entry> entries = new ArrayList<>();

    /** An empty storage with no membership: a member that will join an existing cluster. */
    public MemoryStorage() {
        this(ConfState.getDefaultInstance());
    }

    /**
     * An empty log whose membership is confState, as of index 0. Convenient for tests; a
     * cluster that will later add members should start from {@link #bootstrap} instead, so
     * that new members can learn the initial membership.
     */
    public MemoryStorage(ConfState confState) {
        snapshot = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setConfState(confState))
                .build();
        entries.add(Entry.getDefaultInstance());
    }

    /**
     * The storage every founding member of a new cluster starts from: a snapshot at index 1,
     * term 1, holding the initial membership and empty data. Because the log starts after it,
     * a member added later receives this snapshot (and with it the initial membership) before
     * any entry.
     */
    public static MemoryStorage bootstrap(ConfState initialMembers) {
        MemoryStorage storage = new MemoryStorage();
        Snapshot first = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(1).setTerm(1).setConfState(initialMembers))
                .build();
        storage.applySnapshot(first);
        storage.setHardState(HardState.newBuilder().setTerm(1).setCommit(1).build());
        return storage;
    }

    /** A copy sharing no mutable state: what survives a simulated crash. */
    public MemoryStorage copy() {
        MemoryStorage c = new MemoryStorage();
        c.hardState = hardState;
        c.snapshot = snapshot;
        c.entries = new ArrayList<>(entries);
        return c;
    }

    @Override
    public InitialState initialState() {
        return new InitialState(hardState, snapshot.getMetadata().getConfState());
    }

    public HardState hardState() {
        return hardState;
    }

    public void setHardState(HardState hs) {
        this.hardState = hs;
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxSize) {
        long offset = entries.get(0).getIndex();
        if (lo <= offset) {
            throw new LogCompactedException(lo, offset);
        }
        if (hi > lastIndex() + 1) {
            throw new LogUnavailableException(hi - 1, lastIndex());
        }
        if (entries.size() == 1) {
            throw new LogUnavailableException(lo, lastIndex());
        }
        return Entries.limitSize(List.copyOf(entries.subList((int) (lo - offset), (int) (hi - offset))), maxSize);
    }

    @Override
    public long term(long index) {
        long offset = entries.get(0).getIndex();
        if (index < offset) {
            throw new LogCompactedException(index, offset);
        }
        if (index - offset >= entries.size()) {
            throw new LogUnavailableException(index, lastIndex());
        }
        return entries.get((int) (index - offset)).getTerm();
    }

    @Override
    public long lastIndex() {
        return entries.get(0).getIndex() + entries.size() - 1;
    }

    @Override
    public long firstIndex() {
        return entries.get(0).getIndex() + 1;
    }

    @Override
    public Snapshot snapshot() {
        return snapshot;
    }

    /**
     * Replaces the whole log by a snapshot received from the leader.
     *
     * @return false (and changes nothing) if the snapshot is not newer than the current one
     */
    public boolean applySnapshot(Snapshot snap) {
        if (snap.getMetadata().getIndex() <= snapshot.getMetadata().getIndex()) {
            return false;
        }
        snapshot = snap;
        entries = new ArrayList<>();
        entries.add(Entry.newBuilder().setIndex(snap.getMetadata().getIndex()).setTerm(snap.getMetadata().getTerm()).build());
        return true;
    }

    /**
     * Records a snapshot of the application's state at applied index {@code index} (which the
     * application must already have applied), with the membership in force at that index.
     * Entries are not dropped: call {@link #compact} for that.
     */
    public Snapshot createSnapshot(long index, ConfState confState, ByteString data) {
        if (index <= snapshot.getMetadata().getIndex()) {
            throw new IllegalArgumentException("snapshot index " + index + " is not newer than " + snapshot.getMetadata().getIndex());
        }
        if (index > lastIndex()) {
            throw new IllegalArgumentException("snapshot index " + index + " is beyond the last index " + lastIndex());
        }
        snapshot = Snapshot.newBuilder()
                .setData(data)
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term(index)).setConfState(confState))
                .build();
        return snapshot;
    }

    /**
     * Drops the entries up to and including compactIndex. The application must only compact
     * entries it has applied and covered by a snapshot, or a follower that needs them can no
     * longer be caught up.
     */
    public void compact(long compactIndex) {
        long offset = entries.get(0).getIndex();
        if (compactIndex <= offset) {
            throw new LogCompactedException(compactIndex, offset);
        }
        if (compactIndex > lastIndex()) {
            throw new IllegalArgumentException("compact index " + compactIndex + " is beyond the last index " + lastIndex());
        }
        int i = (int) (compactIndex - offset);
        List<Entry> kept = new ArrayList<>(entries.size() - i);
        Entry newDummy = entries.get(i);
        kept.add(Entry.newBuilder().setIndex(newDummy.getIndex()).setTerm(newDummy.getTerm()).build());
        kept.addAll(entries.subList(i + 1, entries.size()));
        entries = kept;
    }

    /**
     * Appends entries, first discarding any existing entries at or after the first new index
     * (the core only hands over such a suffix after a conflict with the leader's log).
     * Entries already compacted away are skipped.
     */
    public void append(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = firstIndex();
        long last = newEntries.get(0).getIndex() + newEntries.size() - 1;
        if (last < first) {
            return;
        }
        if (first > newEntries.get(0).getIndex()) {
            newEntries = newEntries.subList((int) (first - newEntries.get(0).getIndex()), newEntries.size());
        }
        long offset = newEntries.get(0).getIndex() - entries.get(0).getIndex();
        if (entries.size() > offset) {
            entries = new ArrayList<>(entries.subList(0, (int) offset));
            entries.addAll(newEntries);
        } else if (entries.size() == offset) {
            entries.addAll(newEntries);
        } else {
            throw new IllegalStateException("missing log entry [last: " + lastIndex() + ", append at: " + newEntries.get(0).getIndex() + "]");
        }
    }
}
