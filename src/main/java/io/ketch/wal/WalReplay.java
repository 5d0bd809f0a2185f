package io.ketch.wal;

import java.util.List;

/**
 * What {@link Wal#open} read from disk.
 *
 * @param snapshot the newest snapshot marker in the log ({@link SnapshotMarker#ZERO} if none)
 * @param hardState the last hard state written ({@link HardState#EMPTY} if none)
 * @param entries the live entries with index greater than {@code snapshot.index()}, in index order and
 *     contiguous, starting at {@code snapshot.index() + 1}; unmodifiable
 */
public record WalReplay(SnapshotMarker snapshot, HardState hardState, List<WalEntry> entries) {}
