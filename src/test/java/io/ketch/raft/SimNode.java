package io.ketch.raft;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.Snapshot;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;

/**
 * One simulated member. Its {@link MemoryStorage} is its disk: it holds exactly what the
 * driver persisted, and it is all that survives a crash. The state machine (a hash chain
 * over the applied entries) is volatile and rebuilt from the disk's snapshot on restart,
 * after which Raft re-delivers the committed entries that follow it.
 */
final class SimNode {
    final long id;
    final MemoryStorage disk;
    private final RaftConfig config;
    private int incarnation;
    /** Null while crashed. */
    RawNode raft;

    long appliedIndex;
    long appliedHash;
    ConfState confState;

    SimNode(long id, MemoryStorage disk, RaftConfig config) {
        this.id = id;
        this.disk = disk;
        this.config = config;
    }

    boolean up() {
        return raft != null;
    }

    void start() {
        Snapshot s = disk.snapshot();
        restoreStateMachine(s);
        // A fresh seed per incarnation, still a function of the run's seed.
        // The state machine restarts at the snapshot, which may be above the log's first index.
        raft = new RawNode(config.toBuilder().applied(appliedIndex)
                .randomSeed(config.randomSeed() * 31 + incarnation++).build(), disk);
    }

    void crash() {
        raft = null;
    }

    void restoreStateMachine(Snapshot s) {
        appliedIndex = s.getMetadata().getIndex();
        appliedHash = hashOf(s.getData());
        confState = s.getMetadata().getConfState();
    }

    void apply(Entry e) {
        appliedIndex = e.getIndex();
        appliedHash = chain(appliedHash, e);
    }

    ByteString snapshotData() {
        return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(appliedIndex).putLong(appliedHash).array());
    }

    static long hashOf(ByteString snapshotData) {
        return snapshotData.size() < 16 ? 0 : snapshotData.asReadOnlyByteBuffer().getLong(8);
    }

    /** The state after applying e: depends on every entry applied so far, in order. */
    static long chain(long hash, Entry e) {
        long h = hash;
        h = (h ^ e.getIndex()) * 0x9E3779B97F4A7C15L;
        h = (h ^ e.getTerm()) * 0x9E3779B97F4A7C15L;
        h = (h ^ e.getTypeValue()) * 0x9E3779B97F4A7C15L;
        h = (h ^ e.getData().hashCode()) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    Raft core() {
        return raft.raft();
    }
}
