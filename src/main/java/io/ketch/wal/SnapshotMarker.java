package io.ketch.wal;

/**
 * Records in the WAL that a snapshot at {@code index} exists, so replay can skip the entries it covers.
 * {@link #ZERO} means "no snapshot".
 */
public record SnapshotMarker(long index, long term) {
    public static final SnapshotMarker ZERO = new SnapshotMarker(0, 0);
}
