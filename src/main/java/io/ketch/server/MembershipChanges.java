package io.ketch.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.errors.EtcdError;
import io.ketch.membership.MembershipStore;
import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.etcdserver.MemberListResponse;
import io.ketch.pb.internal.MemberChange;
import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfChangeSingle;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.raft.Status;
import io.ketch.raft.node.RaftNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * etcd's membership changes: MemberAdd, MemberRemove, MemberUpdate and MemberPromote, each
 * checked first as etcd checks it ({@code --strict-reconfig-check}: never leave the cluster
 * without a quorum of started members; a learner must be in sync to be promoted), then
 * proposed as a Raft configuration change whose context carries the member, and answered
 * with the member list once the change is applied on this member.
 *
 * <p>Applying ({@link #apply}, on the thread that applies the log, in log order) validates
 * the change against the members as etcd's {@code ValidateConfigurationChange} does, so every
 * member reaches the same verdict; an accepted change updates the {@link MembershipStore},
 * the peer transport and then the Raft core (through {@link RaftNode#confChangeApplied}); a
 * refused one changes nothing and its proposer gets etcd's error.
 */
final class MembershipChanges {
    private static final Logger LOG = Logger.getLogger(MembershipChanges.class);
    static final String PROMOTE = "member/promote";
    /** etcd's HealthInterval: a peer counts as connected once its stream has been up this long. */
    private static final long HEALTH_INTERVAL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    /** etcd's readyPercent: a learner's match index must reach 90% of the leader's. */
    private static final double LEARNER_READY_FRACTION = 0.9;

    /** Told on the apply thread when a change removes this member from the cluster. */
    interface Removal {
        void removed();
    }

    private final MembershipStore members;
    private final RaftNode raft;
    private final PendingRequests pending;
    private final long localId;
    private final boolean strict;
    private final long timeoutMs;
    private final Removal onRemoved;
    private RaftPeers peers;
    /** The request ID of this member's own removal while it is in flight, else 0. */
    private volatile long ownRemovalRequest;

    MembershipChanges(MembershipStore members, RaftNode raft, PendingRequests pending, long localId, boolean strict,
                      long timeoutMs, Removal onRemoved) {
        this.members = members;
        this.raft = raft;
        this.pending = pending;
        this.localId = localId;
        this.strict = strict;
        this.timeoutMs = timeoutMs;
        this.onRemoved = onRemoved;
    }

    /** Answers followers' MemberPromote, which only the leader can check (etcd forwards it over peer HTTP). */
    void register(RaftPeers peers) {
        this.peers = peers;
        peers.onCall(PROMOTE, body -> promoteHere(ByteBuffer.wrap(body).getLong())
                .thenApply(r -> MemberListResponse.newBuilder().addAllMembers(r.members()).build().toByteArray()));
    }

    // ---------------------------------------------------------------- requests

    /** MemberAdd: a new member with etcd's ID for these peer URLs at this second. */
    CompletableFuture<MemberChangeResult> add(List<String> peerUrls, boolean learner) {
        List<String> sorted = peerUrls.stream().sorted().toList();
        Member m = Member.newBuilder().setID(newMemberId(sorted, System.currentTimeMillis() / 1000))
                .addAllPeerURLs(sorted).setIsLearner(learner).build();
        if (strict && !learner && !readyToAddVoter()) {
            LOG.warnf("rejecting member add %s: not enough started members", MemberIdentity.hex(m.getID()));
            return failed(EtcdError.MEMBER_NOT_ENOUGH_STARTED);
        }
        if (strict && !connectedToAllVoters()) { // etcd checks this for learners too
            LOG.warnf("rejecting member add %s: not connected to every voting member", MemberIdentity.hex(m.getID()));
            return failed(EtcdError.UNHEALTHY);
        }
        ConfChangeType type = learner ? ConfChangeType.ADD_LEARNER_NODE : ConfChangeType.ADD_NODE;
        return propose(type, MemberChange.newBuilder().setMember(m).build())
                .thenApply(list -> new MemberChangeResult(m, list));
    }

    /** MemberRemove. */
    CompletableFuture<MemberChangeResult> remove(long id) {
        Member m = members.get(id);
        if (strict && m != null && !m.getIsLearner()) { // removing a learner never costs a quorum
            if (!readyToRemoveVoter(id)) {
                LOG.warnf("rejecting member remove %s: not enough started members", MemberIdentity.hex(id));
                return failed(EtcdError.MEMBER_NOT_ENOUGH_STARTED);
            }
            // a member that is down is not part of the active quorum: removing it is safe
            if (id != localId && peers.transport().activeForNanos(id) >= 0 && !quorumActiveWithout()) {
                LOG.warnf("rejecting member remove %s: removing it would break the active quorum", MemberIdentity.hex(id));
                return failed(EtcdError.UNHEALTHY);
            }
        }
        return propose(ConfChangeType.REMOVE_NODE, MemberChange.newBuilder()
                .setMember(Member.newBuilder().setID(id)).build()).thenApply(list -> new MemberChangeResult(null, list));
    }

    /** MemberUpdate: new peer URLs for a member. */
    CompletableFuture<MemberChangeResult> update(long id, List<String> peerUrls) {
        return propose(ConfChangeType.UPDATE_NODE, MemberChange.newBuilder()
                .setMember(Member.newBuilder().setID(id).addAllPeerURLs(peerUrls)).build())
                .thenApply(list -> new MemberChangeResult(null, list));
    }

    /**
     * MemberPromote. Only the leader knows whether the learner is in sync, so a follower
     * forwards the request to it (as etcd does) and relays the answer.
     */
    CompletableFuture<MemberChangeResult> promote(long id) {
        if (raft.isLeader()) {
            return promoteHere(id);
        }
        long leader = raft.leader();
        if (leader == 0) {
            return failed(EtcdError.NO_LEADER);
        }
        return peers.transport().call(leader, PROMOTE, ByteBuffer.allocate(8).putLong(id).array(),
                Duration.ofMillis(timeoutMs)).handle((body, e) -> {
            if (e != null) {
                throw RaftPeers.callFailure(e);
            }
            try {
                return new MemberChangeResult(null, MemberListResponse.parseFrom(body).getMembersList());
            } catch (InvalidProtocolBufferException ex) {
                throw new CompletionException(ex);
            }
        });
    }

    /** On the leader: promotes a learner whose log is close enough to the leader's. */
    CompletableFuture<MemberChangeResult> promoteHere(long id) {
        return raft.status().thenCompose(status -> {
            EtcdError refusal = mayPromote(id, status);
            if (refusal != null) {
                return failed(refusal);
            }
            return propose(ConfChangeType.ADD_NODE, MemberChange.newBuilder()
                    .setMember(Member.newBuilder().setID(id)).setIsPromote(true).build())
                    .thenApply(list -> new MemberChangeResult(null, list));
        });
    }

    /**
     * Whether a learner is in sync by etcd's rule (match index at least 90% of the leader's)
     * and, stricter, is being streamed appends rather than probed or sent a snapshot.
     */
    static boolean inSync(Status status, long learner) {
        Status.ProgressView p = status.progress().get(learner);
        Status.ProgressView leader = status.progress().get(status.id());
        return p != null && leader != null && p.state() == io.ketch.raft.ProgressState.REPLICATE
                && p.match() >= leader.match() * LEARNER_READY_FRACTION;
    }

    /**
     * Whether promoting {@code learner} keeps a quorum of healthy voters: the voters connected
     * for the health interval (this leader included), plus the learner if it is, must be a
     * majority of the voters after the promotion.
     */
    boolean promotionKeepsHealthyQuorum(long learner) {
        List<Member> voters = voters();
        long healthy = voters.stream().filter(m -> connectedLongEnough(m.getID())).count()
                + (connectedLongEnough(learner) ? 1 : 0);
        return healthy >= (voters.size() + 1) / 2 + 1;
    }

    /** The learners, in ID order. */
    List<Member> learners() {
        return members.list().stream().filter(Member::getIsLearner).toList();
    }

    /**
     * etcd's isLearnerReady and IsReadyToPromoteMember; an unknown member or a voter passes
     * here and is refused when the change is applied, as in etcd.
     */
    private EtcdError mayPromote(long id, Status status) {
        if (status.progress().isEmpty()) {
            return EtcdError.NOT_LEADER;
        }
        Status.ProgressView learner = status.progress().get(id);
        Status.ProgressView leader = status.progress().get(status.id());
        if (learner != null && leader != null && learner.match() < leader.match() * LEARNER_READY_FRACTION) {
            return EtcdError.LEARNER_NOT_READY;
        }
        if (strict && !readyToPromote()) {
            return EtcdError.MEMBER_NOT_ENOUGH_STARTED;
        }
        return null;
    }

    /**
     * Proposes one change; completes with the member list once it is applied on this member,
     * or with etcd's error when it is refused there or dropped.
     */
    @SuppressWarnings("unchecked")
    private CompletableFuture<List<Member>> propose(ConfChangeType type, MemberChange change) {
        if (!raft.healthy()) {
            return failed(EtcdError.STOPPED);
        }
        long id = pending.nextId();
        ConfChange cc = ConfChange.newBuilder().setId(id)
                .addChanges(ConfChangeSingle.newBuilder().setType(type).setNodeId(change.getMember().getID()))
                .setContext(change.toByteString()).build();
        CompletableFuture<Object> f = pending.register(id, System.nanoTime(), raft.leader());
        if (type == ConfChangeType.REMOVE_NODE && change.getMember().getID() == localId) {
            ownRemovalRequest = id;
        }
        raft.proposeConfChange(cc, () -> pending.fail(id, raft.leader() == 0 ? EtcdError.NO_LEADER : EtcdError.TIMEOUT));
        return f.thenApply(result -> (List<Member>) result);
    }

    /**
     * A peer refused this member as removed: its removal is committed, though this member may
     * never apply it (the leader stops replicating to a removed member). A removal this member
     * proposed itself is answered now, with the members it knows less itself.
     */
    void removalConfirmedByPeer() {
        long id = ownRemovalRequest;
        if (id != 0) {
            pending.complete(id, members.list().stream().filter(m -> m.getID() != localId).toList());
        }
    }

    // ---------------------------------------------------------------- applying

    /**
     * Applies a committed membership change (apply thread, log order) and gives Raft its
     * verdict. Returns the member list after it, or etcd's error for a refused change.
     */
    Object apply(long index, ConfChange cc) {
        if (cc.getChangesCount() != 1) {
            // Not one of ours (a joint configuration being left): Raft's own business.
            raft.confChangeApplied(cc);
            return members.list();
        }
        ConfChangeSingle single = cc.getChanges(0);
        MemberChange change;
        try {
            change = MemberChange.parseFrom(cc.getContext());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("membership change at index " + index + " has no member context", e);
        }
        if (change.getMember().getID() != single.getNodeId()) {
            throw new IllegalStateException("membership change at index " + index + " names two members");
        }
        EtcdError refusal = members.validate(single.getType(), change);
        if (refusal != null) {
            raft.confChangeApplied(null);
            LOG.infof("refused membership change at index %d (%s of %s): %s", index, single.getType(),
                    MemberIdentity.hex(single.getNodeId()), refusal.message);
            return refusal.exception();
        }
        members.apply(single.getType(), change);
        Member m = members.get(single.getNodeId());
        switch (single.getType()) {
            case ADD_NODE, ADD_LEARNER_NODE, UPDATE_NODE -> peers.transport().addPeer(m.getID(), m.getPeerURLsList());
            case REMOVE_NODE -> {
                if (single.getNodeId() != localId) {
                    peers.transport().removePeer(single.getNodeId());
                }
            }
            default -> { }
        }
        raft.confChangeApplied(cc);
        LOG.infof("applied membership change at index %d: %s %s%s", index, describe(single.getType(), change),
                MemberIdentity.hex(single.getNodeId()), m == null ? "" : " " + m.getPeerURLsList());
        if (single.getType() == ConfChangeType.REMOVE_NODE && single.getNodeId() == localId) {
            onRemoved.removed();
        }
        return members.list();
    }

    private static String describe(ConfChangeType type, MemberChange change) {
        return switch (type) {
            case ADD_NODE -> change.getIsPromote() ? "promoted learner" : "added voter";
            case ADD_LEARNER_NODE -> "added learner";
            case REMOVE_NODE -> "removed";
            case UPDATE_NODE -> "updated";
            default -> type.toString();
        };
    }

    // ---------------------------------------------------------------- etcd's strict reconfig checks

    /** A member is started once it has published its name (etcd's IsStarted). */
    private static boolean started(Member m) {
        return !m.getName().isEmpty();
    }

    private List<Member> voters() {
        return members.list().stream().filter(m -> !m.getIsLearner()).toList();
    }

    /** etcd's IsReadyToAddVotingMember: the started voters stay a quorum of the grown cluster. */
    private boolean readyToAddVoter() {
        List<Member> voters = voters();
        int total = voters.size() + 1;
        long started = voters.stream().filter(MembershipChanges::started).count();
        if (started == 1 && total == 2) {
            return true; // growing a one-member cluster (etcd's restore path)
        }
        return started >= total / 2 + 1;
    }

    /** etcd's IsReadyToRemoveVotingMember. */
    private boolean readyToRemoveVoter(long id) {
        List<Member> rest = voters().stream().filter(m -> m.getID() != id).toList();
        long started = rest.stream().filter(MembershipChanges::started).count();
        return started >= rest.size() / 2 + 1;
    }

    /** etcd's IsReadyToPromoteMember: the learner counts as a started voter. */
    private boolean readyToPromote() {
        List<Member> voters = voters();
        int total = voters.size() + 1;
        long started = voters.stream().filter(MembershipChanges::started).count() + 1;
        return started >= total / 2 + 1;
    }

    /** Whether this member's stream to {@code id} has been up for etcd's health interval (itself: always). */
    private boolean connectedLongEnough(long id) {
        return id == localId || peers.transport().activeForNanos(id) >= HEALTH_INTERVAL_NANOS;
    }

    /** etcd's isConnectedFullySince: every voter has been connected for the health interval. */
    private boolean connectedToAllVoters() {
        return voters().stream().allMatch(m -> connectedLongEnough(m.getID()));
    }

    /** etcd's numConnectedSince check: after removing one voter, the connected voters must still be a quorum. */
    private boolean quorumActiveWithout() {
        List<Member> voters = voters();
        long active = voters.stream().filter(m -> connectedLongEnough(m.getID())).count();
        return active - 1 >= 1 + (voters.size() - 1) / 2;
    }

    /**
     * etcd's NewMember ID: the first 8 bytes of SHA-1 over the sorted peer URLs, the cluster
     * name (empty for MemberAdd) and the Unix time in seconds.
     */
    static long newMemberId(List<String> sortedPeerUrls, long unixSeconds) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(String.join("", sortedPeerUrls).getBytes(StandardCharsets.UTF_8));
            sha1.update(Long.toString(unixSeconds).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(sha1.digest(), 0, 8).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> CompletableFuture<T> failed(EtcdError e) {
        return CompletableFuture.failedFuture(e.exception());
    }
}
