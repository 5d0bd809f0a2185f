package io.ketch.transport;

import io.ketch.pb.raft.Message;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * What the peer transport hands to the member. Called on Vert.x event-loop threads: every
 * method must return quickly and never block (queue the work for the Raft thread).
 */
public interface PeerHandler {
    /** A Raft message from a peer of this cluster (cluster ID and recipient already checked). */
    void receive(Message message);

    /**
     * A snapshot message whose data has been received whole into {@code file} (fsynced, in the
     * transport's snapshot directory). The handler owns the file from now on.
     */
    void receiveSnapshot(Message message, Path file);

    /** A message to {@code peerId} was dropped: the peer is unreachable or its stream is backed up. */
    void unreachable(long peerId);

    /** The snapshot sent with {@link PeerTransport#sendSnapshot} to {@code peerId} arrived whole, or failed. */
    void snapshotSent(long peerId, boolean ok);

    /**
     * A unary call from a peer ({@link PeerTransport#call}); e.g. a lease renewal forwarded to
     * the leader. Completes with the answer's bytes, or exceptionally (the caller sees a failure).
     */
    CompletableFuture<byte[]> call(String method, byte[] body);

    /**
     * The cluster's members, marshaled, for a member about to join (etcd's {@code GET
     * /members}): served without the cluster-ID check, since the joiner learns the cluster ID
     * from it. Null when this member cannot say (the request gets 404).
     */
    default byte[] members() {
        return null;
    }

    /** Whether {@code memberId} was removed from the cluster: its requests get 410 Gone, as in etcd. */
    default boolean isRemoved(long memberId) {
        return false;
    }

    /** A peer answered 410 Gone: this member has been removed from the cluster. */
    default void removedFromCluster() {
    }
}
