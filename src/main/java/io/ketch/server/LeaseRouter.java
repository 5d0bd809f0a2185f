package io.ketch.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.errors.EtcdError;
import io.ketch.lease.Lessor;
import io.ketch.pb.etcdserver.LeaseTimeToLiveRequest;
import io.ketch.pb.etcdserver.LeaseTimeToLiveResponse;
import io.ketch.raft.node.RaftNode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Lease renewals and time-to-live where etcd answers them: on the leader, whose lessor is the
 * primary (the only one counting deadlines). A follower forwards them to the leader over the
 * peer transport (etcd forwards them over its peer HTTP handler) and relays the answer.
 */
final class LeaseRouter {
    static final String RENEW = "lease/renew";
    static final String TIME_TO_LIVE = "lease/timetolive";

    private final Lessor lessor;
    private final RaftNode raft;
    private final long timeoutMs;
    private RaftPeers peers;

    LeaseRouter(Lessor lessor, RaftNode raft, long timeoutMs) {
        this.lessor = lessor;
        this.raft = raft;
        this.timeoutMs = timeoutMs;
    }

    void register(RaftPeers peers) {
        this.peers = peers;
        peers.onCall(RENEW, body -> renewHere(ByteBuffer.wrap(body).getLong())
                .thenApply(ttl -> ByteBuffer.allocate(8).putLong(ttl).array()));
        peers.onCall(TIME_TO_LIVE, body -> {
            try {
                return CompletableFuture.completedFuture(timeToLiveHere(LeaseTimeToLiveRequest.parseFrom(body)).toByteArray());
            } catch (InvalidProtocolBufferException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
    }

    /**
     * A keepalive: the lease's remaining TTL after renewing it, or 0 for an unknown lease or
     * one past its deadline (answered once its revocation is applied, so a client never sees a
     * successful renewal of a lease that then disappears).
     */
    CompletableFuture<Long> renew(long id) {
        if (lessor.isPrimary()) {
            return renewHere(id);
        }
        return forward(RENEW, ByteBuffer.allocate(8).putLong(id).array()).thenApply(b -> ByteBuffer.wrap(b).getLong());
    }

    /** TimeToLive from the leader's view; TTL -1 for an unknown lease (etcd). No header. */
    CompletableFuture<LeaseTimeToLiveResponse> timeToLive(LeaseTimeToLiveRequest request) {
        if (lessor.isPrimary()) {
            return CompletableFuture.completedFuture(timeToLiveHere(request));
        }
        return forward(TIME_TO_LIVE, request.toByteArray()).thenApply(b -> {
            try {
                return LeaseTimeToLiveResponse.parseFrom(b);
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
        });
    }

    private CompletableFuture<Long> renewHere(long id) {
        if (!lessor.isPrimary()) {
            return CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception());
        }
        Lessor.Renewal renewal;
        try {
            renewal = lessor.renew(id);
        } catch (IllegalStateException notPrimary) {
            // demoted between the check and the renewal: leadership just moved
            return CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception());
        }
        return switch (renewal.status()) {
            case RENEWED -> CompletableFuture.completedFuture(renewal.ttl());
            case EXPIRED -> renewal.revoked().thenApply(v -> 0L).orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .exceptionally(e -> {
                        throw EtcdError.TIMEOUT.exception();
                    });
            default -> CompletableFuture.completedFuture(0L);
        };
    }

    private LeaseTimeToLiveResponse timeToLiveHere(LeaseTimeToLiveRequest request) {
        if (!lessor.isPrimary()) {
            throw EtcdError.NO_LEADER.exception();
        }
        LeaseTimeToLiveResponse.Builder resp = LeaseTimeToLiveResponse.newBuilder().setID(request.getID());
        Lessor.LeaseStatus status = lessor.timeToLive(request.getID(), request.getKeys());
        if (status == null) {
            return resp.setTTL(-1).build();
        }
        return resp.setTTL(status.remainingSeconds()).setGrantedTTL(status.grantedTtl()).addAllKeys(status.keys()).build();
    }

    /** Sends a call to the leader; fails with etcd's "no leader" when there is none or it does not answer as one. */
    private CompletableFuture<byte[]> forward(String method, byte[] body) {
        long leader = raft.leader();
        if (leader == 0 || raft.isLeader()) {
            // no leader, or this member leads but has not become the primary lessor yet
            return CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception());
        }
        return peers.transport().call(leader, method, body, Duration.ofMillis(timeoutMs)).exceptionally(e -> {
            throw RaftPeers.callFailure(e);
        });
    }
}
