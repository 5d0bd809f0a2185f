package io.ketch.raft;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.Snapshot;
import java.util.List;

/**
 * The durable part of the log, as the core reads it. The core never writes here: the driver
 * persists each {@link Ready} (entries, hard state, snapshot) and only then calls
 * {@link RawNode#advance}. Entries from {@link #firstIndex()} to {@link #lastIndex()} are
 * available; everything at or below the snapshot index has been compacted away, except the
 * term of the snapshot index itself.
 */
public interface LogStorage {

    InitialState initialState();

    /**
     * Entries in [lo, hi), at least one if any exist in the range, and no more than fit in
     * maxSize bytes.
     *
     * @throws LogCompactedException if lo is at or below the snapshot index
     * @throws LogUnavailableException if hi is beyond lastIndex() + 1
     */
    List<Entry> entries(long lo, long hi, long maxSize);

    /**
     * The term of the entry at index; index may be the snapshot index.
     *
     * @throws LogCompactedException if index is below the snapshot index
     * @throws LogUnavailableException if index is beyond lastIndex()
     */
    long term(long index);

    long lastIndex();

    /** Index of the first available entry: the snapshot index + 1. */
    long firstIndex();

    /** The most recent snapshot; its metadata carries the index, term and membership. */
    Snapshot snapshot();
}
