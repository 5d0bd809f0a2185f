package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.membership.MembershipStore;
import io.ketch.pb.etcdserver.Member;
import io.ketch.raft.node.RaftNode;
import io.ketch.transport.PeerTransport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Moving leadership with Raft's leader transfer (the target catches up, then campaigns at
 * once): etcd's MoveLeader, and the hand-off a leader makes before it stops cleanly or is
 * removed, so that neither costs the cluster an election timeout.
 */
final class LeaderTransfer {
    private static final Logger LOG = Logger.getLogger(LeaderTransfer.class);

    private final RaftNode raft;
    private final MembershipStore members;
    private final PeerTransport transport;
    private final ScheduledExecutorService timer;
    private final long localId;
    private final long heartbeatMs;
    private final long electionTimeoutMs;

    LeaderTransfer(RaftNode raft, MembershipStore members, PeerTransport transport, ScheduledExecutorService timer,
                   long localId, long heartbeatMs, long electionTimeoutMs) {
        this.raft = raft;
        this.members = members;
        this.transport = transport;
        this.timer = timer;
        this.localId = localId;
        this.heartbeatMs = heartbeatMs;
        this.electionTimeoutMs = electionTimeoutMs;
    }

    /**
     * etcd's MoveLeader, asked of the leader: completes when the target leads, or fails with
     * etcd's transfer timeout after two election timeouts (the core abandons a transfer that
     * has not finished within one).
     */
    CompletableFuture<Void> moveTo(long target) {
        if (!raft.isLeader()) {
            return CompletableFuture.failedFuture(EtcdError.NOT_LEADER.exception());
        }
        Member m = members.get(target);
        if (m == null || m.getIsLearner()) {
            return CompletableFuture.failedFuture(EtcdError.BAD_LEADER_TRANSFEREE.exception());
        }
        LOG.infof("moving leadership from %s to %s", MemberIdentity.hex(localId), MemberIdentity.hex(target));
        raft.transferLeader(target);
        return leaderBecomes(target, 2 * electionTimeoutMs);
    }

    /**
     * Hands leadership to the connected voter whose log is longest (etcd's TransferLeadership);
     * completes at once when this member does not lead or has no one to hand it to.
     */
    CompletableFuture<Void> handOff() {
        if (!raft.isLeader() || raft.isSoleVoter()) {
            return CompletableFuture.completedFuture(null);
        }
        return raft.status().thenCompose(st -> {
            long best = 0;
            long bestMatch = -1;
            for (var e : st.progress().entrySet()) {
                long id = e.getKey();
                if (id != localId && !e.getValue().learner() && transport.isActive(id) && e.getValue().match() > bestMatch) {
                    best = id;
                    bestMatch = e.getValue().match();
                }
            }
            return best == 0 ? CompletableFuture.completedFuture(null) : moveTo(best);
        });
    }

    /** Completes once {@code target} leads (checked every heartbeat), or fails with etcd's transfer timeout. */
    private CompletableFuture<Void> leaderBecomes(long target, long withinMs) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(withinMs);
        var check = timer.scheduleWithFixedDelay(() -> {
            if (raft.leader() == target) {
                done.complete(null);
            } else if (System.nanoTime() - deadline > 0) {
                done.completeExceptionally(EtcdError.LEADER_TRANSFER_TIMEOUT.exception());
            }
        }, 0, heartbeatMs, TimeUnit.MILLISECONDS);
        done.whenComplete((v, e) -> check.cancel(false));
        return done;
    }
}
