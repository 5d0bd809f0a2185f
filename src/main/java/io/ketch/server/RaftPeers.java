package io.ketch.server;

import io.ketch.pb.raft.Message;
import io.ketch.raft.node.RaftNode;
import io.ketch.transport.PeerHandler;
import io.ketch.transport.PeerTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Joins the Raft node and the peer transport: the node's outgoing messages go to the
 * transport, peers' messages and the transport's delivery reports go to the node (as etcd's
 * raft expects: {@code ReportUnreachable}, {@code ReportSnapshot}), and peers' unary calls go
 * to the handler registered for their method (e.g. lease renewals forwarded to the leader).
 */
final class RaftPeers implements PeerHandler, RaftNode.Outbox {
    private static final Logger LOG = Logger.getLogger(RaftPeers.class);

    private final RaftNode raft;
    private final Map<String, Function<byte[], CompletableFuture<byte[]>>> calls = new ConcurrentHashMap<>();
    private volatile PeerTransport transport;

    RaftPeers(RaftNode raft) {
        this.raft = raft;
    }

    void attach(PeerTransport transport) {
        this.transport = transport;
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
     * Sending the state machine to a follower behind the compacted log is not built yet: the
     * failure report puts the follower back to probing, and it catches up from the log if the
     * leader still holds the entries it needs (5000 are kept behind every snapshot).
     */
    @Override
    public void sendSnapshot(Message snapshot) {
        LOG.warnf("member %x needs a snapshot at index %d; sending snapshots is not built yet", snapshot.getTo(),
                snapshot.getSnapshot().getMetadata().getIndex());
        raft.reportSnapshot(snapshot.getTo(), false);
    }

    @Override
    public void receive(Message message) {
        raft.step(message);
    }

    @Override
    public void receiveSnapshot(Message message, Path file) {
        LOG.warnf("refusing a snapshot from %x: installing snapshots is not built yet", message.getFrom());
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", file, e.getMessage());
        }
    }

    @Override
    public void unreachable(long peerId) {
        raft.reportUnreachable(peerId);
    }

    @Override
    public void snapshotSent(long peerId, boolean ok) {
        raft.reportSnapshot(peerId, ok);
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
