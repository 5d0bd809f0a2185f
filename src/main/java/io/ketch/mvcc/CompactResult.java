package io.ketch.mvcc;

/**
 * The outcome of a compaction.
 *
 * @param compactRevision the new compacted revision
 * @param currentRevision the store's current revision
 * @param deletedRecords  the number of backend records removed
 */
public record CompactResult(long compactRevision, long currentRevision, long deletedRecords) {}
