package io.ketch.raft;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import io.ketch.pb.raft.Snapshot;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The leader: replicates its log to every member with per-follower flow control, commits,
 * confirms its leadership for ReadIndex, transfers leadership, and admits membership changes
 * one at a time. Everything here exists only for one leadership and dies with it.
 */
final class LeaderRole extends Role {
    /** The member leadership is being handed to, or NONE. Proposals are refused meanwhile. */
    long leadTransferee = Raft.NONE;
    /**
     * At or above the index of the latest membership change we may not have applied. A new
     * one is accepted only once applied has passed it, so at most one change is in flight
     * and each is validated against the membership it will be applied to.
     */
    long pendingConfIndex;
    /** We are no longer a voter: we lead only until a voter has taken over. */
    private boolean retiring;
    /** Payload bytes appended and not yet committed (an underestimate, never an overestimate). */
    long uncommittedSize;
    final ReadOnlyQueue readOnly = new ReadOnlyQueue();
    /** ReadIndex requests that arrived before we committed an entry of our term. */
    private final List<Message> pendingReadIndexMessages = new ArrayList<>();

    LeaderRole(Raft raft) {
        super(raft);
    }

    @Override
    void tick() {
        raft.heartbeatElapsed++;
        raft.electionElapsed++;
        if (raft.electionElapsed >= raft.electionTimeout) {
            raft.electionElapsed = 0;
            if (raft.checkQuorum) {
                raft.step(local(MessageType.MSG_CHECK_QUORUM));
            }
            // A transfer that has not finished within an election timeout is abandoned.
            if (raft.state == StateRole.LEADER) {
                leadTransferee = Raft.NONE;
            }
        }
        if (raft.state != StateRole.LEADER) {
            return;
        }
        if (retiring) {
            handOff();
        }
        if (raft.heartbeatElapsed >= raft.heartbeatTimeout) {
            raft.heartbeatElapsed = 0;
            raft.step(local(MessageType.MSG_BEAT));
        }
    }

    private Message local(MessageType type) {
        return Message.newBuilder().setType(type).setFrom(raft.id).build();
    }

    @Override
    void step(Message m) {
        switch (m.getType()) {
            case MSG_BEAT -> bcastHeartbeat();
            case MSG_CHECK_QUORUM -> checkQuorum();
            case MSG_PROP -> propose(m);
            case MSG_READ_INDEX -> readIndex(m);
            default -> {
                Progress pr = raft.trk.progress(m.getFrom());
                if (pr != null) {
                    stepFromMember(m, pr);
                }
            }
        }
    }

    private void stepFromMember(Message m, Progress pr) {
        switch (m.getType()) {
            case MSG_APP_RESP -> handleAppendResponse(m, pr);
            case MSG_HEARTBEAT_RESP -> handleHeartbeatResponse(m, pr);
            case MSG_SNAP_STATUS -> {
                if (pr.state != ProgressState.SNAPSHOT) {
                    return;
                }
                if (m.getReject()) {
                    // Probe from match again, not from the snapshot that never arrived.
                    pr.pendingSnapshot = 0;
                }
                pr.becomeProbe();
                // Wait for the follower's answer (or a heartbeat) before the next append.
                pr.probeSent = true;
            }
            case MSG_UNREACHABLE -> {
                // Optimistically sent appends were probably lost: find out where it is.
                if (pr.state == ProgressState.REPLICATE) {
                    pr.becomeProbe();
                }
            }
            case MSG_TRANSFER_LEADER -> transferLeadership(m.getFrom(), pr);
            default -> {
            }
        }
    }

    // ---- check-quorum --------------------------------------------------------------------

    /**
     * A leader that has not heard from a quorum during the last election timeout steps down:
     * it may be on the minority side of a partition, where it could never commit, while
     * clients keep sending it requests.
     */
    private void checkQuorum() {
        Progress self = raft.trk.progress(raft.id);
        if (self != null) {
            self.recentActive = true;
        }
        if (!raft.trk.quorumActive()) {
            raft.becomeFollower(raft.term, Raft.NONE);
            return;
        }
        raft.trk.progress().forEach((id, pr) -> {
            if (id != raft.id) {
                pr.recentActive = false;
            }
        });
    }

    // ---- proposals -----------------------------------------------------------------------

    private void propose(Message m) {
        if (m.getEntriesCount() == 0) {
            throw new IllegalArgumentException("empty proposal");
        }
        if (retiring) {
            throw new ProposalDroppedException("this member is no longer a voter");
        }
        if (leadTransferee != Raft.NONE) {
            throw new ProposalDroppedException("leadership transfer to " + leadTransferee + " is in progress");
        }
        List<Entry> entries = new ArrayList<>(m.getEntriesList());
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).getType() != EntryType.CONF_CHANGE) {
                continue;
            }
            if (admitConfChange(entries.get(i))) {
                pendingConfIndex = raft.log.lastIndex() + i + 1;
            } else {
                // Keep the position (and the rest of the batch) but drop the change itself.
                entries.set(i, Entry.newBuilder().setType(EntryType.NORMAL).build());
            }
        }
        if (!raft.appendEntry(entries)) {
            throw new ProposalDroppedException("uncommitted log size limit reached");
        }
        bcastAppend();
    }

    /**
     * Whether a membership change may enter the log: none other may be unapplied, a joint
     * configuration must be left before anything else, and the change must be valid from
     * the current membership (which is the one it will be applied to, since none is pending).
     */
    private boolean admitConfChange(Entry e) {
        if (pendingConfIndex > raft.log.applied()) {
            return false;
        }
        ConfChange cc;
        try {
            cc = ConfChange.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            return false;
        }
        boolean joint = raft.trk.config().voters().isJoint();
        if (joint != ConfChanger.leavesJoint(cc)) {
            return false;
        }
        try {
            new ConfChanger(raft.trk, raft.log.lastIndex()).apply(cc);
            return true;
        } catch (IllegalArgumentException ex) {
            return false;
        }
    }

    boolean increaseUncommittedSize(List<Entry> entries) {
        long size = Entries.payloadSize(entries);
        // An empty log tail admits any one proposal, however large, so that progress is possible.
        if (uncommittedSize > 0 && size > 0 && uncommittedSize + size > raft.maxUncommittedSize) {
            return false;
        }
        uncommittedSize += size;
        return true;
    }

    void reduceUncommittedSize(List<Entry> committed) {
        uncommittedSize = Math.max(0, uncommittedSize - Entries.payloadSize(committed));
    }

    /** Leaves an auto-leave joint configuration as soon as the change that entered it is applied. */
    void maybeAutoLeave() {
        if (!raft.trk.config().autoLeave() || raft.log.applied() < pendingConfIndex) {
            return;
        }
        Entry leave = Entry.newBuilder().setType(EntryType.CONF_CHANGE)
                .setData(ConfChange.getDefaultInstance().toByteString()).build();
        raft.appendEntry(List.of(leave));
        // Whether or not it was appended, try again only once everything now in the log is applied.
        pendingConfIndex = raft.log.lastIndex();
        bcastAppend();
    }

    void onConfigChanged() {
        if (raft.maybeCommit()) {
            onCommitAdvanced();
        } else {
            raft.trk.progress().keySet().forEach(id -> {
                if (id != raft.id) {
                    maybeSendAppend(id, false);
                }
            });
        }
        if (leadTransferee != Raft.NONE && raft.trk.progress(leadTransferee) == null) {
            leadTransferee = Raft.NONE;
        }
    }

    private void onCommitAdvanced() {
        releasePendingReadIndexMessages();
        bcastAppend();
    }

    // ---- replication ---------------------------------------------------------------------

    private void handleAppendResponse(Message m, Progress pr) {
        pr.recentActive = true;
        if (m.getReject()) {
            long nextProbe = m.getRejectHint();
            if (m.getLogTerm() > 0) {
                // Skip our entries whose term is above the follower's term at the hint:
                // none of them can match.
                nextProbe = raft.log.findConflictByTerm(m.getRejectHint(), m.getLogTerm());
            }
            if (pr.maybeDecrTo(m.getIndex(), nextProbe)) {
                if (pr.state == ProgressState.REPLICATE) {
                    pr.becomeProbe();
                }
                sendAppend(m.getFrom());
            }
            return;
        }
        boolean wasPaused = pr.isPaused();
        if (!pr.maybeUpdate(m.getIndex())) {
            return;
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match >= pr.pendingSnapshot) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights.freeLE(m.getIndex());
        }
        if (raft.maybeCommit()) {
            onCommitAdvanced();
        } else if (wasPaused) {
            // It may have missed the latest commit index while paused.
            sendAppend(m.getFrom());
        }
        // The window may have opened for several messages at once.
        while (maybeSendAppend(m.getFrom(), false)) {
            // keep sending
        }
        if (m.getFrom() == leadTransferee && pr.match == raft.log.lastIndex()) {
            sendTimeoutNow(m.getFrom());
        }
    }

    private void handleHeartbeatResponse(Message m, Progress pr) {
        pr.recentActive = true;
        pr.probeSent = false;
        // Free one slot so that a full window cannot stall a follower whose acks were lost.
        if (pr.state == ProgressState.REPLICATE && pr.inflights.full()) {
            pr.inflights.freeFirstOne();
        }
        if (pr.match < raft.log.lastIndex()) {
            sendAppend(m.getFrom());
        }
        ByteString ctx = m.getContext();
        if (ctx.isEmpty()) {
            return;
        }
        Map<Long, Boolean> acks = readOnly.recvAck(m.getFrom(), ctx);
        if (acks == null || raft.trk.config().voters().voteResult(acks) != VoteResult.WON) {
            return;
        }
        for (ReadOnlyQueue.Pending p : readOnly.advance(ctx)) {
            answerReadIndex(p.request, p.index);
        }
    }

    void sendAppend(long to) {
        maybeSendAppend(to, true);
    }

    /**
     * Sends the entries to's progress asks for, or a snapshot if they are compacted. With
     * sendIfEmpty false, an append without entries (only carrying the commit index) is not
     * worth a message.
     *
     * @return whether a message was sent
     */
    boolean maybeSendAppend(long to, boolean sendIfEmpty) {
        Progress pr = raft.trk.progress(to);
        if (pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next - 1;
        long prevTerm;
        List<Entry> entries;
        try {
            prevTerm = raft.log.term(prevIndex);
            entries = raft.log.entries(pr.next, raft.maxMsgSize);
        } catch (LogCompactedException e) {
            return sendSnapshot(to, pr);
        }
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        if (!entries.isEmpty()) {
            long last = entries.get(entries.size() - 1).getIndex();
            switch (pr.state) {
                case REPLICATE -> {
                    pr.optimisticUpdate(last);
                    pr.inflights.add(last, Entries.encodedSize(entries));
                }
                case PROBE -> pr.probeSent = true;
                case SNAPSHOT -> throw new IllegalStateException("sending append to " + to + " in snapshot state");
            }
        }
        raft.send(Message.newBuilder().setTo(to).setType(MessageType.MSG_APP)
                .setIndex(prevIndex)
                .setLogTerm(prevTerm).addAllEntries(entries).setCommit(raft.log.committed()));
        return true;
    }

    private boolean sendSnapshot(long to, Progress pr) {
        // A member we have not heard from lately may be down; do not ship it a snapshot.
        if (!pr.recentActive) {
            return false;
        }
        Snapshot snapshot;
        try {
            snapshot = raft.log.snapshot();
        } catch (SnapshotTemporarilyUnavailableException e) {
            return false;
        }
        if (snapshot.getMetadata().getIndex() == 0) {
            throw new IllegalStateException("need non-empty snapshot");
        }
        pr.becomeSnapshot(snapshot.getMetadata().getIndex());
        raft.send(Message.newBuilder().setTo(to).setType(MessageType.MSG_SNAP).setSnapshot(snapshot));
        return true;
    }

    void bcastAppend() {
        raft.trk.progress().keySet().forEach(id -> {
            if (id != raft.id) {
                sendAppend(id);
            }
        });
    }

    private void bcastHeartbeat() {
        bcastHeartbeatWithContext(readOnly.lastPendingContext());
    }

    private void bcastHeartbeatWithContext(ByteString ctx) {
        raft.trk.progress().forEach((id, pr) -> {
            if (id != raft.id) {
                // Never tell a follower to commit beyond what it is known to hold: its log
                // past match may still differ from ours.
                long commit = Math.min(pr.match, raft.log.committed());
                raft.send(Message.newBuilder().setTo(id).setType(MessageType.MSG_HEARTBEAT)
                        .setCommit(commit).setContext(ctx));
            }
        });
    }

    // ---- ReadIndex -----------------------------------------------------------------------

    /**
     * ReadIndex: the read may be served once applied reaches our commit index as of now,
     * provided we are still the leader after the request arrived — confirmed by a quorum
     * acknowledging a heartbeat that carries the request's context. A new leader first
     * commits an entry of its term, since before that its commit index may be behind.
     */
    private void readIndex(Message m) {
        if (raft.trk.isSingleton(raft.id)) {
            answerReadIndex(m, raft.log.committed());
            return;
        }
        if (!raft.committedEntryInCurrentTerm()) {
            pendingReadIndexMessages.add(m);
            return;
        }
        ByteString ctx = m.getEntries(0).getData();
        readOnly.addRequest(raft.log.committed(), m);
        readOnly.recvAck(raft.id, ctx);
        bcastHeartbeatWithContext(ctx);
    }

    private void releasePendingReadIndexMessages() {
        if (pendingReadIndexMessages.isEmpty() || !raft.committedEntryInCurrentTerm()) {
            return;
        }
        List<Message> pending = new ArrayList<>(pendingReadIndexMessages);
        pendingReadIndexMessages.clear();
        pending.forEach(this::readIndex);
    }

    private void answerReadIndex(Message request, long index) {
        if (request.getFrom() == Raft.NONE || request.getFrom() == raft.id) {
            raft.readStates.add(new ReadState(index, request.getEntries(0).getData()));
        } else {
            raft.send(Message.newBuilder().setTo(request.getFrom()).setType(MessageType.MSG_READ_INDEX_RESP)
                    .setIndex(index).addAllEntries(request.getEntriesList()));
        }
    }

    // ---- leadership transfer -------------------------------------------------------------

    /** This leader applied a membership in which it is not a voter. */
    void retire() {
        retiring = true;
        handOff();
    }

    /** Transfers leadership to the most up-to-date voter, unless a transfer is under way. */
    private void handOff() {
        if (leadTransferee != Raft.NONE) {
            return;
        }
        long best = Raft.NONE;
        Progress bestProgress = null;
        for (long id : raft.trk.config().voters().ids()) {
            Progress pr = raft.trk.progress(id);
            if (id != raft.id && pr != null && (bestProgress == null || pr.match > bestProgress.match)) {
                best = id;
                bestProgress = pr;
            }
        }
        if (bestProgress != null) {
            transferLeadership(best, bestProgress);
        }
    }

    /**
     * Hands leadership to transferee: bring its log up to date, then tell it to campaign at
     * once (MSG_TIMEOUT_NOW). Proposals are refused meanwhile, so that its log stays current.
     */
    private void transferLeadership(long transferee, Progress pr) {
        if (pr.isLearner) {
            return;
        }
        if (leadTransferee != Raft.NONE) {
            if (leadTransferee == transferee) {
                return;
            }
            leadTransferee = Raft.NONE;
        }
        if (transferee == raft.id) {
            return;
        }
        // The transfer must finish within one election timeout.
        raft.electionElapsed = 0;
        leadTransferee = transferee;
        if (pr.match == raft.log.lastIndex()) {
            sendTimeoutNow(transferee);
        } else {
            sendAppend(transferee);
        }
    }

    private void sendTimeoutNow(long to) {
        raft.send(Message.newBuilder().setTo(to).setType(MessageType.MSG_TIMEOUT_NOW));
        if (retiring) {
            // Our successor holds our whole log; if this message is lost, the members elect
            // one by timing out. A removed leader must not linger: it would refuse proposals
            // and, without check-quorum, might never hear that a successor was elected.
            raft.becomeFollower(raft.term, Raft.NONE);
        }
    }
}
