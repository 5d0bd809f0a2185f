package io.ketch.raft;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.Snapshot;
import java.util.List;
import java.util.Optional;

/**
 * Everything the driver must do for the core, in this order:
 * <ol>
 *   <li>persist {@code snapshot} (if any), then append {@code entries} and store
 *       {@code hardState} (if any) — durably (fsync) when {@code mustSync};</li>
 *   <li>send {@code messages} (they may depend on step 1 being durable: a vote, an append
 *       acknowledgement);</li>
 *   <li>apply the snapshot to the state machine, then {@code committedEntries} in order,
 *       calling {@link RawNode#applyConfChange} for each entry of type CONF_CHANGE;</li>
 *   <li>serve {@code readStates} once applied has reached their index;</li>
 *   <li>call {@link RawNode#advance} with this Ready.</li>
 * </ol>
 *
 * @param softState present if the leader or our role changed
 * @param hardState present if term, vote or commit changed
 * @param snapshot present if a snapshot from the leader must be persisted and applied
 */
public record Ready(
        Optional<SoftState> softState,
        Optional<HardState> hardState,
        List<ReadState> readStates,
        List<Entry> entries,
        Optional<Snapshot> snapshot,
        List<Entry> committedEntries,
        List<Message> messages,
        boolean mustSync) {

    /** The index the state machine will have applied once this Ready is processed, or 0. */
    long appliedCursor() {
        if (!committedEntries.isEmpty()) {
            return committedEntries.get(committedEntries.size() - 1).getIndex();
        }
        return snapshot.map(s -> s.getMetadata().getIndex()).orElse(0L);
    }
}
