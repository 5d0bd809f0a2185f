package io.ketch.transport;

import static io.ketch.transport.Wire.hex;

import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The peer transport: Raft messages, snapshots and unary calls between the members of a
 * cluster, over HTTP/2 cleartext (prior knowledge) on the {@code --listen-peer-urls}. It
 * mirrors etcd's rafthttp:
 *
 * <ul>
 *   <li>{@code POST /raft/stream}: one long-lived request per peer, dialled by the sender; its
 *       body is a sequence of frames, each a 4-byte big-endian length and a serialized
 *       {@link Message}. The server never answers anything but the response headers.
 *   <li>{@code POST /raft/snapshot}: one request per snapshot, on its own connection: a frame
 *       carrying the MSG_SNAP message, then the snapshot file's bytes.
 *   <li>{@code POST /raft/call/<method>}: a unary call answered by {@link PeerHandler#call}.
 *   <li>{@code GET /raft/probing}: answered at once; the dialer times it every second for the
 *       round-trip-time histogram, as etcd's prober does.
 * </ul>
 *
 * Every request carries {@code X-Etcd-Cluster-ID}, {@code X-Server-From} and {@code X-Raft-To}
 * (hex); the server refuses another cluster's requests (412), requests for another member and
 * requests from a member it does not know (404).
 *
 * <p>Threading: the dialling side's state lives on one Vert.x context ({@link #ctx}); public
 * methods hop onto it with {@code runOnContext} and never block. The serving side runs on the
 * HTTP servers' event loops. {@link PeerHandler} methods are called on event-loop threads.
 *
 * <p>This class is the facade; the work is done by {@link PeerLink} (dialling, one per peer),
 * {@link PeerServer} (the listeners), {@link SnapshotSender}, {@link SnapshotReceiver},
 * {@link UnaryCalls}, {@link Frames}, {@link Wire} and {@link PeerMetrics}.
 */
public final class PeerTransport implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerTransport.class);

    private final Vertx vertx;
    private final TransportConfig config;
    private final PeerHandler handler;
    private final String localHex;
    private final Context ctx;
    private final HttpClient client;
    /** Snapshots travel on their own connections so that a large one never delays heartbeats. */
    private final HttpClient snapshotClient;
    private final PeerMetrics metrics;
    /** Shared by the links; holds the probe timeout that tests shorten. */
    final Dialer dialer;
    private final PeerServer server;
    private final SnapshotSender snapshots;
    private final UnaryCalls calls;
    /** etcd's words for a removed member: peers answer its requests with them (HTTP 410 Gone). */
    public static final String REMOVED_MESSAGE = "the member has been permanently removed from the cluster";

    private final Map<Long, PeerLink> peers = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;
    private long probeTimer = -1;
    private CompletableFuture<Void> closing;

    public PeerTransport(Vertx vertx, TransportConfig config, PeerHandler handler, MeterRegistry registry) {
        this.vertx = vertx;
        this.config = config;
        this.handler = handler;
        this.localHex = hex(config.localId());
        this.ctx = vertx.getOrCreateContext();
        this.client = vertx.createHttpClient(Wire.clientOptions());
        this.snapshotClient = vertx.createHttpClient(Wire.clientOptions());
        this.metrics = new PeerMetrics(registry, localHex);
        this.dialer = new Dialer(vertx, client, config, handler, () -> closed);
        this.calls = new UnaryCalls(vertx, client, config, handler);
        this.snapshots = new SnapshotSender(vertx, snapshotClient, config, handler);
        this.server = new PeerServer(vertx, config, handler, metrics, calls, peers::containsKey, () -> closed);
        config.peers().forEach(this::addPeer);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds every listen URL and starts dialling the peers; fails if any URL cannot be bound. */
    public synchronized CompletableFuture<Void> start() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        if (server.listening() || closed) {
            result.completeExceptionally(new IllegalStateException(closed
                    ? "peer transport closed" : "peer transport already started"));
            return result;
        }
        List<Future<HttpServer>> binds;
        try {
            binds = server.listen();
        } catch (RuntimeException e) {
            server.closeListeners();
            result.completeExceptionally(e);
            return result;
        }
        Future.join(binds).onComplete(ar -> {
            if (ar.failed()) {
                server.closeListeners();
                result.completeExceptionally(ar.cause());
                return;
            }
            ctx.runOnContext(v -> {
                if (closed) {
                    result.completeExceptionally(new IllegalStateException("peer transport closed"));
                    return;
                }
                started = true;
                for (PeerLink p : peers.values()) {
                    p.dial();
                }
                probeTimer = vertx.setPeriodic(PeerLink.PROBE_INTERVAL_MS, t -> probeAll());
                LOG.infof("peer transport of member %s (cluster %s) listening on %s",
                        localHex, hex(config.clusterId()), config.listenUrls());
                result.complete(null);
            });
        });
        return result;
    }

    /** The actual port of the {@code i}-th listener (useful when a URL names port 0). */
    public int boundPort(int i) {
        return server.boundPort(i);
    }

    /**
     * Closes the streams, the listeners and the clients. Idempotent; waits (up to a few seconds)
     * for the listeners to be released unless called on a Vert.x thread.
     */
    @Override
    public void close() {
        CompletableFuture<Void> f = closeAsync();
        if (!Context.isOnVertxThread()) {
            try {
                f.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debugf(e, "closing the peer transport of member %s", localHex);
            }
        }
    }

    /** Closes everything; the future completes once the listeners and clients are closed. */
    public synchronized CompletableFuture<Void> closeAsync() {
        if (closing != null) {
            return closing;
        }
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        closing = done;
        ctx.runOnContext(v -> {
            if (probeTimer != -1) {
                vertx.cancelTimer(probeTimer);
                probeTimer = -1;
            }
            for (PeerLink p : peers.values()) {
                p.shutdown();
                metrics.removeActiveGauge(p.meters);
            }
            List<Future<Void>> fs = new ArrayList<>(server.shutdown());
            fs.add(client.close());
            fs.add(snapshotClient.close());
            Future.join(fs).onComplete(ar -> done.complete(null));
        });
        return done;
    }

    // ---------------------------------------------------------------- membership

    /** Adds a peer, or updates its URLs; idempotent. Dialling starts at once if started. */
    public void addPeer(long id, List<String> peerUrls) {
        if (id == config.localId()) {
            return;
        }
        List<URI> urls = peerUrls.stream().map(URI::create).toList();
        PeerLink existing = peers.get(id);
        if (existing != null) {
            existing.urls = urls;
            return;
        }
        PeerLink p = new PeerLink(dialer, metrics, id, urls);
        if (peers.putIfAbsent(id, p) != null) {
            peers.get(id).urls = urls;
            return;
        }
        if (started) {
            ctx.runOnContext(v -> p.dial());
        }
    }

    /** Removes a peer: its stream is closed and it is no longer accepted as a sender. */
    public void removePeer(long id) {
        PeerLink p = peers.remove(id);
        if (p == null) {
            return;
        }
        // Meters go now (not on the context) so that a re-added peer registers fresh ones.
        metrics.removePeer(id, p.meters);
        ctx.runOnContext(v -> p.shutdown());
        // A removed member's streams into this one are cut; its new requests are refused.
        server.cutStreamsFrom(id);
    }

    /** The members this transport talks to. */
    public java.util.Set<Long> peerIds() {
        return java.util.Set.copyOf(peers.keySet());
    }

    /**
     * How long the message stream to {@code peerId} has been connected without a break, in
     * nanoseconds; -1 when it is not connected (etcd's ActiveSince).
     */
    public long activeForNanos(long peerId) {
        PeerLink p = peers.get(peerId);
        return p != null && p.active ? System.nanoTime() - p.activeSince : -1;
    }

    /** Whether the message stream to {@code peerId} is currently connected. */
    public boolean isActive(long peerId) {
        PeerLink p = peers.get(peerId);
        return p != null && p.active;
    }

    private void probeAll() {
        if (closed) {
            return;
        }
        for (PeerLink p : peers.values()) {
            p.probe();
        }
    }

    // ---------------------------------------------------------------- sending

    /**
     * Sends Raft messages; any thread, never blocks. Messages for one peer given in one call go
     * out as one write on that peer's stream; a message that cannot be sent now (stream down or
     * backed up) is dropped and reported with {@link PeerHandler#unreachable}. MSG_SNAP messages
     * belong to {@link #sendSnapshot}; given here they are dropped and reported as failed.
     */
    public void send(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        List<Message> copy = List.copyOf(messages);
        ctx.runOnContext(v -> sendNow(copy));
    }

    private void sendNow(List<Message> messages) {
        Map<Long, List<Message>> byPeer = new LinkedHashMap<>();
        for (Message m : messages) {
            if (m.getType() == MessageType.MSG_SNAP) {
                LOG.debugf("dropped a MSG_SNAP to %s given to send(): snapshots go through sendSnapshot", hex(m.getTo()));
                handler.snapshotSent(m.getTo(), false);
                continue;
            }
            byPeer.computeIfAbsent(m.getTo(), k -> new ArrayList<>()).add(m);
        }
        for (Map.Entry<Long, List<Message>> e : byPeer.entrySet()) {
            long to = e.getKey();
            PeerLink p = peers.get(to);
            HttpClientRequest stream = p == null ? null : p.stream;
            if (closed || p == null || !p.active || stream == null || stream.writeQueueFull()) {
                handler.unreachable(to);
                continue;
            }
            Buffer frames = Frames.encode(e.getValue());
            try {
                stream.write(frames);
            } catch (RuntimeException ex) {
                // The stream went away and its exception event has not been handled yet.
                handler.unreachable(to);
                p.linkDown(stream, PeerLink.LinkState.DOWN, ex.toString());
                continue;
            }
            p.sentBytes(frames.length());
        }
    }

    /**
     * Sends a MSG_SNAP message followed by the snapshot's data file on its own HTTP/2 stream
     * (and connection), streamed in chunks under flow control. Reports the outcome with
     * {@link PeerHandler#snapshotSent}. Any thread, never blocks.
     */
    public void sendSnapshot(Message snapMsg, Path dataFile) {
        ctx.runOnContext(v -> sendSnapshotNow(snapMsg, dataFile));
    }

    private void sendSnapshotNow(Message m, Path dataFile) {
        long to = m.getTo();
        PeerLink p = peers.get(to);
        URI u = p == null ? null : p.currentUrl();
        if (closed || u == null) {
            handler.snapshotSent(to, false);
            return;
        }
        snapshots.send(p, u, m, dataFile);
    }

    // ---------------------------------------------------------------- unary calls

    /**
     * A unary call to {@code peerId}: {@code POST /raft/call/<method>}. Completes with the
     * answer's bytes, or exceptionally on an error answer, a transport failure or the timeout.
     */
    public CompletableFuture<byte[]> call(long peerId, String method, byte[] body, Duration timeout) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            PeerLink p = peers.get(peerId);
            URI u = p == null ? null : p.currentUrl();
            if (closed || u == null) {
                result.completeExceptionally(new IllegalStateException("unknown peer " + hex(peerId)));
                return;
            }
            calls.call(peerId, u, method, body, timeout, result);
        });
        return result;
    }

    /** A unary call answered with an error status; the message is the peer's explanation. */
    public static final class PeerCallException extends RuntimeException {
        private final int status;

        public PeerCallException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
