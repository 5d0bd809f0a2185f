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
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The Raft state machine of one member: a pure function of its inputs (ticks, messages,
 * the storage it starts from, the seed). It writes nothing and sends nothing itself: its
 * outputs accumulate in {@link #msgs}, {@link #readStates} and the unstable log, which
 * {@link RawNode} hands to the driver as a {@link Ready}.
 *
 * <p>This class holds the state every role shares and the rules that do not depend on the
 * role (term comparison, voting, accepting a leader's log); {@link Role} subclasses hold the
 * rest.
 */
final class Raft {
    static final long NONE = 0;
    /** Marks vote requests of a leader transfer: voters grant them even within a leader lease. */
    static final ByteString CAMPAIGN_TRANSFER = ByteString.copyFromUtf8("CampaignTransfer");

    enum CampaignType { PRE_ELECTION, ELECTION, TRANSFER }

    final long id;
    long term;
    long vote;
    final RaftLog log;
    ProgressTracker trk;
    StateRole state = StateRole.FOLLOWER;
    /** Whether this member is a learner in the configuration it has applied. */
    boolean isLearner;
    long lead = NONE;
    private Role role;

    final List<Message> msgs = new ArrayList<>();
    final List<ReadState> readStates = new ArrayList<>();

    /**
     * Ticks since the last election timeout (leader, candidate) or since the last valid
     * message from the leader (follower).
     */
    int electionElapsed;
    /** Ticks since the last heartbeat; leader only. */
    int heartbeatElapsed;
    /** In [electionTimeout, 2*electionTimeout); redrawn at every role change. */
    int randomizedElectionTimeout;

    final int electionTimeout;
    final int heartbeatTimeout;
    final boolean checkQuorum;
    final boolean preVote;
    final boolean disableProposalForwarding;
    final long maxMsgSize;
    final long maxUncommittedSize;
    private final RandomGenerator random;

    Raft(RaftConfig c, LogStorage storage) {
        this.id = c.id();
        this.log = new RaftLog(storage, c.maxCommittedSizePerReady());
        this.trk = new ProgressTracker(c.maxInflightMsgs(), c.maxInflightBytes());
        this.electionTimeout = c.electionTick();
        this.heartbeatTimeout = c.heartbeatTick();
        this.checkQuorum = c.checkQuorum();
        this.preVote = c.preVote();
        this.disableProposalForwarding = c.disableProposalForwarding();
        this.maxMsgSize = c.maxSizePerMsg();
        this.maxUncommittedSize = c.maxUncommittedEntriesSize();
        this.random = new SplittableRandom(c.randomSeed());
        this.role = new FollowerRole(this);

        InitialState initial = storage.initialState();
        switchToConfig(ConfChanger.restore(initial.confState(), trk, log.lastIndex()));
        if (!initial.hardState().equals(HardState.getDefaultInstance())) {
            loadState(initial.hardState());
        }
        if (c.applied() > 0) {
            log.appliedTo(c.applied());
        }
        becomeFollower(term, NONE);
    }

    // ---- outputs -------------------------------------------------------------------------

    SoftState softState() {
        return new SoftState(lead, state);
    }

    HardState hardState() {
        return HardState.newBuilder().setTerm(term).setVote(vote).setCommit(log.committed()).build();
    }

    /**
     * Queues a message. Vote messages carry an explicit term (a pre-vote is for a future
     * term; a vote answer echoes the request's); all others are stamped with our term, except
     * proposals and read requests, which are forwarded as if local.
     */
    void send(Message.Builder m) {
        m.setFrom(id);
        MessageType t = m.getType();
        if (t == MessageType.MSG_VOTE || t == MessageType.MSG_VOTE_RESP
                || t == MessageType.MSG_PRE_VOTE || t == MessageType.MSG_PRE_VOTE_RESP) {
            if (m.getTerm() == 0) {
                throw new IllegalStateException("term should be set when sending " + t);
            }
        } else {
            if (m.getTerm() != 0) {
                throw new IllegalStateException("term should not be set when sending " + t + " (was " + m.getTerm() + ")");
            }
            if (t != MessageType.MSG_PROP && t != MessageType.MSG_READ_INDEX) {
                m.setTerm(term);
            }
        }
        msgs.add(m.build());
    }

    // ---- inputs --------------------------------------------------------------------------

    void tick() {
        role.tick();
    }

    /** Followers and candidates: start an election when the randomized timeout has passed. */
    void tickElection() {
        electionElapsed++;
        if (promotable() && electionElapsed >= randomizedElectionTimeout) {
            electionElapsed = 0;
            step(Message.newBuilder().setType(MessageType.MSG_HUP).setFrom(id).build());
        }
    }

    /**
     * The rules every role obeys, then the role's own. A message from a higher term makes us
     * a follower of that term (§5.1) — except pre-votes, which must not disturb anyone, and
     * vote requests inside a leader lease when check-quorum is on. A message from a lower
     * term is stale and ignored, but answered where the sender needs to learn our term.
     */
    void step(Message m) {
        MessageType type = m.getType();
        if ((type == MessageType.MSG_VOTE_RESP || type == MessageType.MSG_PRE_VOTE_RESP) && state != StateRole.LEADER) {
            learnCommitFromVoter(m);
        }
        if (m.getTerm() == 0) {
            // a local message
        } else if (m.getTerm() > term) {
            if (type == MessageType.MSG_VOTE || type == MessageType.MSG_PRE_VOTE) {
                boolean force = m.getContext().equals(CAMPAIGN_TRANSFER);
                boolean inLease = checkQuorum && lead != NONE && electionElapsed < electionTimeout;
                if (!force && inLease) {
                    // We heard from a live leader less than a minimum election timeout ago:
                    // this candidate is disruptive (e.g. just rejoined from a partition).
                    return;
                }
            }
            if (type == MessageType.MSG_PRE_VOTE) {
                // Never change our term because of a pre-vote.
            } else if (type == MessageType.MSG_PRE_VOTE_RESP && !m.getReject()) {
                // A granted pre-vote carries the term we will campaign for, not a real term.
            } else if (type == MessageType.MSG_APP || type == MessageType.MSG_HEARTBEAT || type == MessageType.MSG_SNAP) {
                becomeFollower(m.getTerm(), m.getFrom());
            } else {
                becomeFollower(m.getTerm(), NONE);
            }
        } else if (m.getTerm() < term) {
            if ((checkQuorum || preVote) && (type == MessageType.MSG_HEARTBEAT || type == MessageType.MSG_APP)) {
                // A stale leader (maybe partitioned while we advanced our term without being
                // able to win) would otherwise never learn of our term; with check-quorum or
                // pre-vote, our vote requests may never reach it with a higher term.
                send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_APP_RESP));
            } else if (type == MessageType.MSG_PRE_VOTE || type == MessageType.MSG_VOTE) {
                // Reject with our term (§5.1). Silence would leave a candidate that lags one
                // term behind a rival (one who never contacts it, e.g. because of a stale
                // membership) campaigning in lockstep behind it for a long time.
                MessageType response = type == MessageType.MSG_VOTE ? MessageType.MSG_VOTE_RESP : MessageType.MSG_PRE_VOTE_RESP;
                send(withCommitHint(Message.newBuilder().setTo(m.getFrom()).setTerm(term).setType(response).setReject(true)));
            }
            return;
        }

        switch (type) {
            case MSG_HUP -> hup(preVote ? CampaignType.PRE_ELECTION : CampaignType.ELECTION);
            case MSG_VOTE, MSG_PRE_VOTE -> handleVoteRequest(m);
            default -> role.step(m);
        }
    }

    /**
     * §5.2, §5.4.1: grant a vote if we have not voted for someone else in this term (and know
     * no leader of it), and the candidate's log is at least as up-to-date as ours. Pre-votes
     * for a future term are granted on the log rule alone and are not recorded.
     *
     * <p>A member that believes itself a learner still answers: the candidate may already have
     * applied the change that made it a voter. Its vote counts only where it is a voter,
     * because a candidate counts only the voters of its own configuration.
     */
    private void handleVoteRequest(Message m) {
        boolean canVote = vote == m.getFrom()
                || (vote == NONE && lead == NONE)
                || (m.getType() == MessageType.MSG_PRE_VOTE && m.getTerm() > term);
        MessageType response = m.getType() == MessageType.MSG_VOTE ? MessageType.MSG_VOTE_RESP : MessageType.MSG_PRE_VOTE_RESP;
        if (canVote && log.isUpToDate(m.getIndex(), m.getLogTerm())) {
            // Answer with the request's term: for a pre-vote ours may be lower, and the
            // pre-candidate would ignore an answer from a lower term.
            send(Message.newBuilder().setTo(m.getFrom()).setTerm(m.getTerm()).setType(response));
            if (m.getType() == MessageType.MSG_VOTE) {
                electionElapsed = 0;
                vote = m.getFrom();
            }
        } else {
            send(withCommitHint(Message.newBuilder().setTo(m.getFrom()).setTerm(term).setType(response).setReject(true)));
        }
    }

    /**
     * A vote answer tells the candidate our commit index and the term of the entry there.
     * This matters after a membership change: a candidate that does not yet know the change
     * is committed still counts the old members, and a removed member (which cannot campaign
     * itself) may refuse it for a longer log forever. Knowing the commit index, the candidate
     * applies the change and counts the right members.
     */
    private Message.Builder withCommitHint(Message.Builder m) {
        return m.setCommit(log.committed()).setLogTerm(log.termOrZero(log.committed()));
    }

    /**
     * Any index a member knows committed is committed. If our entry there has the same term,
     * our log equals theirs up to it (Log Matching), so we may commit up to it too.
     */
    private void learnCommitFromVoter(Message m) {
        long commit = m.getCommit();
        if (commit > log.committed() && commit <= log.lastIndex() && m.getLogTerm() != 0
                && log.matchTerm(commit, m.getLogTerm())) {
            log.commitTo(commit);
        }
    }

    // ---- elections -----------------------------------------------------------------------

    /** Starts a campaign unless we are leader, cannot be one, or must first apply a membership change. */
    void hup(CampaignType type) {
        if (state == StateRole.LEADER || !promotable()) {
            return;
        }
        // Campaigning with a stale membership could count the wrong quorum.
        if (hasUnappliedConfChanges()) {
            return;
        }
        campaign(type);
    }

    private boolean hasUnappliedConfChanges() {
        if (log.committed() <= log.applied()) {
            return false;
        }
        long from = Math.max(log.applied() + 1, log.firstIndex());
        for (Entry e : log.slice(from, log.committed() + 1, RaftLog.NO_LIMIT)) {
            if (e.getType() == EntryType.CONF_CHANGE) {
                return true;
            }
        }
        return false;
    }

    void campaign(CampaignType type) {
        long voteTerm;
        MessageType voteType;
        if (type == CampaignType.PRE_ELECTION) {
            becomePreCandidate();
            voteType = MessageType.MSG_PRE_VOTE;
            // Pre-votes ask for the term we would campaign in, without taking it yet.
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteType = MessageType.MSG_VOTE;
            voteTerm = term;
        }
        if (poll(id, true) == VoteResult.WON) {
            // The only voter: won by our own vote.
            if (type == CampaignType.PRE_ELECTION) {
                campaign(CampaignType.ELECTION);
            } else {
                becomeLeader();
                leader().bcastAppend();
            }
            return;
        }
        for (long voter : trk.voterIds()) {
            if (voter == id) {
                continue;
            }
            Message.Builder m = Message.newBuilder().setTerm(voteTerm).setTo(voter).setType(voteType)
                    .setIndex(log.lastIndex()).setLogTerm(log.lastTerm());
            if (type == CampaignType.TRANSFER) {
                m.setContext(CAMPAIGN_TRANSFER);
            }
            send(m);
        }
    }

    VoteResult poll(long from, boolean granted) {
        trk.recordVote(from, granted);
        return trk.tallyVotes();
    }

    boolean promotable() {
        Progress pr = trk.progress(id);
        return pr != null && !pr.isLearner;
    }

    // ---- role changes --------------------------------------------------------------------

    void becomeFollower(long newTerm, long leader) {
        role = new FollowerRole(this);
        reset(newTerm);
        lead = leader;
        state = StateRole.FOLLOWER;
    }

    void becomeCandidate() {
        if (state == StateRole.LEADER) {
            throw new IllegalStateException("invalid transition [leader -> candidate]");
        }
        role = new CandidateRole(this);
        reset(term + 1);
        vote = id;
        state = StateRole.CANDIDATE;
    }

    /** Unlike a candidate, a pre-candidate changes neither its term nor its vote. */
    void becomePreCandidate() {
        if (state == StateRole.LEADER) {
            throw new IllegalStateException("invalid transition [leader -> pre-candidate]");
        }
        role = new CandidateRole(this);
        trk.resetVotes();
        lead = NONE;
        state = StateRole.PRE_CANDIDATE;
    }

    void becomeLeader() {
        if (state == StateRole.FOLLOWER) {
            throw new IllegalStateException("invalid transition [follower -> leader]");
        }
        LeaderRole leader = new LeaderRole(this);
        role = leader;
        reset(term);
        lead = id;
        state = StateRole.LEADER;
        trk.progress(id).becomeReplicate();
        // Our log may hold a membership change we have not applied; refuse new ones until
        // everything we hold now is applied.
        leader.pendingConfIndex = log.lastIndex();
        // An empty entry of our term: committing it commits every earlier entry (§5.4.2) and
        // tells us our commit index is current (needed before serving ReadIndex).
        Entry noop = Entry.newBuilder().setType(EntryType.NORMAL).build();
        if (!appendEntry(List.of(noop))) {
            throw new IllegalStateException("empty entry was dropped");
        }
    }

    private void reset(long newTerm) {
        if (term != newTerm) {
            term = newTerm;
            vote = NONE;
        }
        lead = NONE;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTimeout = electionTimeout + random.nextInt(electionTimeout);
        trk.resetVotes();
        long last = log.lastIndex();
        trk.progress().forEach((member, pr) -> {
            pr.becomeProbe();
            pr.match = member == id ? last : 0;
            pr.next = last + 1;
            pr.recentActive = false;
        });
    }

    LeaderRole leader() {
        return role instanceof LeaderRole l ? l : null;
    }

    // ---- the log -------------------------------------------------------------------------

    /** Leader: appends entries at our term; false if the uncommitted-size bound refused them. */
    boolean appendEntry(List<Entry> entries) {
        long last = log.lastIndex();
        List<Entry> stamped = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            stamped.add(entries.get(i).toBuilder().setTerm(term).setIndex(last + 1 + i).build());
        }
        LeaderRole leader = leader();
        if (!leader.increaseUncommittedSize(stamped)) {
            return false;
        }
        last = log.append(stamped);
        Progress self = trk.progress(id);
        if (self != null) {
            self.maybeUpdate(last);
        }
        maybeCommit();
        return true;
    }

    /** Leader: commit what a quorum stored, if it is of the current term (§5.4.2). */
    boolean maybeCommit() {
        return log.maybeCommit(trk.committed(), term);
    }

    boolean committedEntryInCurrentTerm() {
        return log.termOrZero(log.committed()) == term;
    }

    /**
     * §5.3 AppendEntries, receiver side. Rejects if our log does not hold the previous entry;
     * the rejection hints at the highest index that could match, so the leader can skip a
     * whole term of conflicting entries per round trip.
     */
    void handleAppendEntries(Message m) {
        if (m.getIndex() < log.committed()) {
            // Everything up to our commit index matches the leader's log already.
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_APP_RESP).setIndex(log.committed()));
            return;
        }
        long lastNew = log.maybeAppend(m.getIndex(), m.getLogTerm(), m.getCommit(), m.getEntriesList());
        if (lastNew >= 0) {
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_APP_RESP).setIndex(lastNew));
            return;
        }
        long hintIndex = log.findConflictByTerm(Math.min(m.getIndex(), log.lastIndex()), m.getLogTerm());
        send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_APP_RESP)
                .setIndex(m.getIndex()).setReject(true)
                .setRejectHint(hintIndex).setLogTerm(log.termOrZero(hintIndex)));
    }

    void handleHeartbeat(Message m) {
        log.commitTo(m.getCommit());
        send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_HEARTBEAT_RESP).setContext(m.getContext()));
    }

    void handleSnapshot(Message m) {
        if (restore(m.getSnapshot())) {
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_APP_RESP).setIndex(log.lastIndex()));
        } else {
            send(Message.newBuilder().setTo(m.getFrom()).setType(MessageType.MSG_APP_RESP).setIndex(log.committed()));
        }
    }

    /**
     * Replaces our log by the snapshot unless it is stale (at or below our commit index) or
     * our log already holds its last entry (then we only advance the commit index).
     */
    boolean restore(Snapshot s) {
        long index = s.getMetadata().getIndex();
        if (index <= log.committed()) {
            return false;
        }
        if (state != StateRole.FOLLOWER) {
            // Defence in depth: only followers receive snapshots.
            becomeFollower(term + 1, NONE);
            return false;
        }
        // The snapshot's membership may not include us: a member being added can receive a
        // snapshot older than its addition. It then follows without being able to campaign
        // (not promotable) until it applies the entry that adds it.
        ConfState cs = s.getMetadata().getConfState();
        if (log.matchTerm(index, s.getMetadata().getTerm())) {
            log.commitTo(index);
            return false;
        }
        log.restore(s);
        trk = new ProgressTracker(trk.maxInflight, trk.maxInflightBytes);
        switchToConfig(ConfChanger.restore(cs, trk, log.lastIndex()));
        return true;
    }

    private void loadState(HardState hs) {
        if (hs.getCommit() < log.committed() || hs.getCommit() > log.lastIndex()) {
            throw new IllegalStateException("state.commit " + hs.getCommit() + " is out of range ["
                    + log.committed() + ", " + log.lastIndex() + "]");
        }
        log.commitTo(hs.getCommit());
        term = hs.getTerm();
        vote = hs.getVote();
    }

    // ---- membership ----------------------------------------------------------------------

    ConfState applyConfChange(ConfChange cc) {
        return switchToConfig(new ConfChanger(trk, log.lastIndex()).apply(cc));
    }

    /**
     * Installs a new membership. A leader may now be able to commit more, and probes the
     * members just added; a leader that is no longer a voter hands leadership to one that is.
     */
    private ConfState switchToConfig(ConfChanger.Result result) {
        trk.setConfig(result.config(), result.progress());
        ConfState cs = result.config().toConfState();
        Progress self = trk.progress(id);
        isLearner = self != null && self.isLearner;
        if (state != StateRole.LEADER) {
            return cs;
        }
        leader().onConfigChanged();
        if (self == null || isLearner) {
            // Removed or demoted: keep leading until a voter of the new membership takes
            // over. Stepping down at once could strand the new members: they may not yet
            // know that this change is committed, and until they apply it they still need
            // our vote (or cannot win against our longer log).
            leader().retire();
        }
        return cs;
    }

    // ---- driver interface ----------------------------------------------------------------

    /** The driver persisted and applied what rd asked for. */
    void advance(Ready rd) {
        long applied = rd.appliedCursor();
        if (applied > 0) {
            log.appliedTo(applied);
            if (state == StateRole.LEADER) {
                leader().maybeAutoLeave();
            }
        }
        if (state == StateRole.LEADER) {
            leader().reduceUncommittedSize(rd.committedEntries());
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().get(rd.entries().size() - 1);
            log.stableTo(last.getIndex(), last.getTerm());
        }
        rd.snapshot().ifPresent(s -> log.stableSnapTo(s.getMetadata().getIndex()));
    }
}
