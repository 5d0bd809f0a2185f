package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.pb.raft.Message;
import io.ketch.raft.node.RaftNode;
import io.ketch.snap.Snapshotter;
import io.ketch.transport.PeerHandler;
import io.ketch.transport.PeerTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Joins the Raft node and the peer transport: the node's outgoing messages go to the
 * transport, peers' messages and the transport's delivery reports go to the node (as etcd's
 * raft expects: {@code ReportUnreachable}, {@code ReportSnapshot}), and peers' unary calls go
 * to the handler registered for their method (e.g. lease renewals forwarded to the leader).
 */
final class RaftPeers implements PeerHandler, RaftNode.Outbox {
    private static final Logger LOG = Logger.getLogger(RaftPeers.class);

    private final Snapshotter snapshotter;
    private final BiConsumer<Message, Path> snapshotArrived;
    private final Map<String, Function<byte[], CompletableFuture<byte[]>>> calls = new ConcurrentHashMap<>();
    private volatile PeerTransport transport;
    /** The member's Raft node; replaced when the member re-opens after installing a snapshot. */
    private volatile RaftNode raft;
    /** Asks for a snapshot file now (the member's snapshot policy; replaced on re-open). */
    private volatile Runnable snapshotNeeded = () -> { };
    /** The member list a joining member asks for, marshaled; replaced on re-open. */
    private volatile Supplier<byte[]> memberList = () -> null;
    private volatile LongPredicate removed = id -> false;
    private volatile Runnable onRemoved = () -> { };

    RaftPeers(Snapshotter snapshotter, BiConsumer<Message, Path> snapshotArrived) {
        this.snapshotter = snapshotter;
        this.snapshotArrived = snapshotArrived;
    }

    void attach(PeerTransport transport) {
        this.transport = transport;
    }

    void attach(RaftNode raft) {
        this.raft = raft;
    }

    void onSnapshotNeeded(Runnable takeSnapshot) {
        this.snapshotNeeded = takeSnapshot;
    }

    /** Connects the member's membership: the list joiners fetch, removed IDs, and what to do once removed. */
    void membership(Supplier<byte[]> memberList, LongPredicate removed, Runnable onRemoved) {
        this.memberList = memberList;
        this.removed = removed;
        this.onRemoved = onRemoved;
    }

    @Override
    public byte[] members() {
        return memberList.get();
    }

    @Override
    public boolean isRemoved(long memberId) {
        return removed.test(memberId);
    }

    @Override
    public void removedFromCluster() {
        onRemoved.run();
    }

    /** Answers peers' calls of {@code method}. */
    void onCall(String method, Function<byte[], CompletableFuture<byte[]>> handler) {
        calls.put(method, handler);
    }

    PeerTransport transport() {
        return transport;
    }

    @Override
    public void send(List<Message> messages) {
        transport.send(messages);
    }

    /**
     * A follower is behind the compacted log: the snapshot file at the message's index (the one
     * {@code SnapshotPolicy} wrote when the log was compacted there) goes to it on its own
     * stream, in chunks. Without the file (the bootstrap snapshot at index 1 has none, so a
     * member that joins a young cluster meets this) a snapshot is taken now, the send fails,
     * and the follower is sent the new one when it is probed again.
     */
    @Override
    public void sendSnapshot(Message snapshot) {
        long index = snapshot.getSnapshot().getMetadata().getIndex();
        Path file = snapshotter.pathOf(snapshot.getSnapshot().getMetadata().getTerm(), index);
        if (!Files.isRegularFile(file)) {
            LOG.infof("member %x needs the snapshot at index %d, which has no file; taking a snapshot now",
                    snapshot.getTo(), index);
            snapshotNeeded.run();
            raft.reportSnapshot(snapshot.getTo(), false);
            return;
        }
        LOG.infof("sending the snapshot at index %d to member %x (%s)", index, snapshot.getTo(), file.getFileName());
        transport.sendSnapshot(snapshot, file);
    }

    @Override
    public void receive(Message message) {
        raft.step(message);
    }

    @Override
    public void receiveSnapshot(Message message, Path file) {
        snapshotArrived.accept(message, file);
    }

    @Override
    public void unreachable(long peerId) {
        raft.reportUnreachable(peerId);
    }

    @Override
    public void snapshotSent(long peerId, boolean ok) {
        if (!ok) {
            LOG.warnf("sending a snapshot to member %x failed; it will be probed again", peerId);
        }
        raft.reportSnapshot(peerId, ok);
    }

    /**
     * etcd's error for a failed call to a peer: the peer's own (its answer carries etcd's
     * message), a timeout, or "no leader" when the peer could not be reached as the leader.
     */
    static EtcdException callFailure(Throwable e) {
        Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof EtcdException ee) {
            return ee;
        }
        if (c instanceof PeerTransport.PeerCallException pce) {
            return EtcdError.byMessage(pce.getMessage().trim()).orElse(EtcdError.NO_LEADER).exception();
        }
        return (c instanceof TimeoutException ? EtcdError.TIMEOUT : EtcdError.NO_LEADER).exception();
    }

    @Override
    public CompletableFuture<byte[]> call(String method, byte[] body) {
        Function<byte[], CompletableFuture<byte[]>> h = calls.get(method);
        if (h == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("unknown peer call " + method));
        }
        try {
            return h.apply(body);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
