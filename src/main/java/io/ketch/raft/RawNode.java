package io.ketch.raft;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import io.ketch.pb.raft.Snapshot;
import com.google.protobuf.ByteString;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The public face of one Raft member: feed it ticks, messages from peers and requests; take
 * its {@link Ready} output, carry it out, and {@link #advance}. Pure and single-threaded: it
 * never blocks, reads a clock, does I/O or uses unseeded randomness, so the same inputs give
 * the same outputs.
 */
public final class RawNode {
    private final Raft raft;
    private SoftState prevSoftState;
    private HardState prevHardState;

    /**
     * Starts (or restarts) a member from what storage holds. A founding member of a new
     * cluster starts from {@link MemoryStorage#bootstrap}; a member joining an existing one
     * from an empty storage.
     */
    public RawNode(RaftConfig config, LogStorage storage) {
        this.raft = new Raft(config, storage);
        this.prevSoftState = raft.softState();
        this.prevHardState = raft.hardState();
    }

    /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
    public void tick() {
        raft.tick();
    }

    /** Starts an election now (with a pre-vote round first if configured). */
    public void campaign() {
        raft.step(Message.newBuilder().setType(MessageType.MSG_HUP).setFrom(raft.id).build());
    }

    /**
     * Proposes data for the log. A follower forwards it to the leader; it is committed only
     * if a committed entry with this data appears in {@link Ready#committedEntries()}.
     *
     * @throws ProposalDroppedException if it is known now that the proposal cannot be appended
     */
    public void propose(ByteString data) {
        raft.step(Message.newBuilder().setType(MessageType.MSG_PROP).setFrom(raft.id)
                .addEntries(Entry.newBuilder().setType(EntryType.NORMAL).setData(data)).build());
    }

    public void propose(byte[] data) {
        propose(ByteString.copyFrom(data));
    }

    /**
     * Proposes a membership change. The leader admits one change at a time; one it refuses
     * is replaced by an empty entry. The change takes effect on each member when that member
     * calls {@link #applyConfChange} on applying the committed entry.
     */
    public void proposeConfChange(ConfChange cc) {
        raft.step(Message.newBuilder().setType(MessageType.MSG_PROP).setFrom(raft.id)
                .addEntries(Entry.newBuilder().setType(EntryType.CONF_CHANGE).setData(cc.toByteString())).build());
    }

    /**
     * Installs the membership change of a committed CONF_CHANGE entry; call it in log order
     * while applying. Returns the membership now in force (keep it for snapshots).
     *
     * @throws IllegalArgumentException if the change is invalid from the current membership
     *         (the leader only admits valid ones, so this indicates misuse)
     */
    public ConfState applyConfChange(ConfChange cc) {
        return raft.applyConfChange(cc);
    }

    /**
     * Delivers a message from a peer. Local-only message types are refused; answers from
     * members no longer in the configuration are ignored, and so are forwarded proposals that
     * cannot be appended (their proposer will time out).
     */
    public void step(Message m) {
        if (isLocalOnly(m.getType())) {
            throw new IllegalArgumentException("cannot step local message " + m.getType());
        }
        if (isResponse(m.getType()) && raft.trk.progress(m.getFrom()) == null) {
            return;
        }
        try {
            raft.step(m);
        } catch (ProposalDroppedException e) {
            // Forwarded by a follower; dropping it is the documented outcome.
        }
    }

    /**
     * Asks for a linearizable read point. The answer arrives later as a {@link ReadState}
     * carrying context (which should be unique per request) in {@link Ready#readStates()};
     * it may never arrive if leadership changes meanwhile, so callers need a timeout.
     */
    public void readIndex(ByteString context) {
        raft.step(Message.newBuilder().setType(MessageType.MSG_READ_INDEX)
                .addEntries(Entry.newBuilder().setData(context)).build());
    }

    public void readIndex(byte[] context) {
        readIndex(ByteString.copyFrom(context));
    }

    /** Asks the leader (directly, or through this follower) to hand leadership to transferee. */
    public void transferLeader(long transferee) {
        raft.step(Message.newBuilder().setType(MessageType.MSG_TRANSFER_LEADER).setFrom(transferee).build());
    }

    /** The transport failed to deliver a message to id. */
    public void reportUnreachable(long id) {
        raft.step(Message.newBuilder().setType(MessageType.MSG_UNREACHABLE).setFrom(id).build());
    }

    /** The transport finished (or gave up) sending a snapshot to id. */
    public void reportSnapshot(long id, SnapshotStatus status) {
        raft.step(Message.newBuilder().setType(MessageType.MSG_SNAP_STATUS).setFrom(id)
                .setReject(status == SnapshotStatus.FAILURE).build());
    }

    public boolean hasReady() {
        if (!raft.softState().equals(prevSoftState)) {
            return true;
        }
        HardState hs = raft.hardState();
        if (!isEmpty(hs) && !hs.equals(prevHardState)) {
            return true;
        }
        return raft.log.unstable().snapshot() != null
                || !raft.msgs.isEmpty()
                || !raft.log.unstableEntries().isEmpty()
                || raft.log.hasNextCommittedEntries()
                || !raft.readStates.isEmpty();
    }

    /**
     * Collects the pending output. Messages and read states are handed over (they will not
     * be returned again); entries, snapshot and committed entries are returned until
     * {@link #advance} acknowledges them, so call advance before the next ready().
     */
    public Ready ready() {
        SoftState soft = raft.softState();
        HardState hard = raft.hardState();
        Optional<SoftState> softChange = soft.equals(prevSoftState) ? Optional.empty() : Optional.of(soft);
        Optional<HardState> hardChange = isEmpty(hard) || hard.equals(prevHardState) ? Optional.empty() : Optional.of(hard);
        List<Entry> entries = List.copyOf(raft.log.unstableEntries());
        Optional<Snapshot> snapshot = Optional.ofNullable(raft.log.unstable().snapshot());
        boolean mustSync = !entries.isEmpty() || hard.getTerm() != prevHardState.getTerm() || hard.getVote() != prevHardState.getVote();
        Ready rd = new Ready(softChange, hardChange, List.copyOf(raft.readStates), entries, snapshot,
                raft.log.nextCommittedEntries(), List.copyOf(raft.msgs), mustSync);
        raft.msgs.clear();
        raft.readStates.clear();
        softChange.ifPresent(s -> prevSoftState = s);
        return rd;
    }

    /** rd has been carried out: its entries, hard state and snapshot are durable and applied. */
    public void advance(Ready rd) {
        rd.hardState().ifPresent(hs -> prevHardState = hs);
        raft.advance(rd);
    }

    public Status status() {
        Map<Long, Status.ProgressView> progress = new TreeMap<>();
        long transferee = Raft.NONE;
        LeaderRole leader = raft.leader();
        if (leader != null) {
            transferee = leader.leadTransferee;
            raft.trk.progress().forEach((id, pr) -> progress.put(id, new Status.ProgressView(pr.match, pr.next,
                    pr.state, pr.isLearner, pr.recentActive, pr.inflights.count(), pr.pendingSnapshot)));
        }
        return new Status(raft.id, raft.hardState(), raft.softState(), raft.log.applied(), transferee,
                raft.trk.config().toConfState(), Collections.unmodifiableMap(progress));
    }

    /** The core itself, for tests in this package that check internal invariants. */
    Raft raft() {
        return raft;
    }

    private static boolean isEmpty(HardState hs) {
        return hs.equals(HardState.getDefaultInstance());
    }

    private static boolean isLocalOnly(MessageType t) {
        return switch (t) {
            case MSG_HUP, MSG_BEAT, MSG_UNREACHABLE, MSG_SNAP_STATUS, MSG_CHECK_QUORUM, MESSAGE_TYPE_UNSPECIFIED, UNRECOGNIZED -> true;
            default -> false;
        };
    }

    private static boolean isResponse(MessageType t) {
        return switch (t) {
            case MSG_APP_RESP, MSG_VOTE_RESP, MSG_HEARTBEAT_RESP, MSG_PRE_VOTE_RESP -> true;
            default -> false;
        };
    }
}
