package io.ketch.transport;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 */
public final class PeerTransport implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerTransport.class);

    static final String HDR_CLUSTER = "X-Etcd-Cluster-ID";
    static final String HDR_FROM = "X-Server-From";
    static final String HDR_TO = "X-Raft-To";
    /** Snapshot requests: the number of file bytes that follow the message frame. */
    static final String HDR_SNAPSHOT_SIZE = "X-Snapshot-Size";

    static final String PATH_STREAM = "/raft/stream";
    static final String PATH_SNAPSHOT = "/raft/snapshot";
    static final String PATH_CALL = "/raft/call/";
    static final String PATH_PROBE = "/raft/probing";

    /** The largest frame accepted on the stream (a MsgApp of large entries fits easily). */
    static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    static final long BACKOFF_START_MS = 50;
    static final long BACKOFF_MAX_MS = 1000;
    static final long PROBE_INTERVAL_MS = 1000;
    static final long PROBE_TIMEOUT_MS = 5000;
    /** Probes failed in a row before a connected stream is presumed dead (a silent partition). */
    static final int PROBE_FAILURES_TO_DROP = 3;
    static final int CONNECT_TIMEOUT_MS = 2000;

    // HTTP/2 settings: a stream window large enough that a ~2 MiB entry goes out without
    // waiting for a WINDOW_UPDATE, and a connection window holding several streams' worth.
    static final int STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
    static final int CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
    static final int MAX_FRAME_SIZE = 1024 * 1024;

    private final Vertx vertx;
    private final TransportConfig config;
    private final PeerHandler handler;
    private final MeterRegistry registry;
    private final String localHex;
    private final Context ctx;
    private final HttpClient client;
    /** Snapshots travel on their own connections so that a large one never delays heartbeats. */
    private final HttpClient snapshotClient;
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final Map<Long, Peer> peers = new ConcurrentHashMap<>();
    private final Map<Long, Counter> receivedBytes = new ConcurrentHashMap<>();
    /** Accepted connections and inbound message streams, torn down at once on close. */
    private final java.util.Set<HttpConnection> serverConnections = ConcurrentHashMap.newKeySet();
    private final Map<HttpServerRequest, Long> inboundStreams = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;
    private long probeTimer = -1;
    private CompletableFuture<Void> closing;
    /** Tests shorten it to see a silent partition detected quickly. */
    volatile long probeTimeoutMs = PROBE_TIMEOUT_MS;

    public PeerTransport(Vertx vertx, TransportConfig config, PeerHandler handler, MeterRegistry registry) {
        this.vertx = vertx;
        this.config = config;
        this.handler = handler;
        this.registry = registry;
        this.localHex = hex(config.localId());
        this.ctx = vertx.getOrCreateContext();
        this.client = vertx.createHttpClient(clientOptions());
        this.snapshotClient = vertx.createHttpClient(clientOptions());
        config.peers().forEach(this::addPeer);
    }

    // ---------------------------------------------------------------- options (TLS goes here)

    /** The dialler's options: HTTP/2 with prior knowledge, one multiplexed connection per peer. */
    static HttpClientOptions clientOptions() {
        return new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false)
                .setUseAlpn(false)
                .setSsl(false)
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true)
                .setConnectTimeout(CONNECT_TIMEOUT_MS)
                .setIdleTimeout(0)
                .setHttp2KeepAliveTimeout(30)
                .setHttp2MaxPoolSize(1)
                .setHttp2MultiplexingLimit(-1)
                .setHttp2ConnectionWindowSize(CONNECTION_WINDOW_BYTES)
                .setInitialSettings(http2Settings())
                .setDecompressionSupported(false)
                .setTryUseCompression(false);
    }

    /** The listeners' options; host and port come from each listen URL. */
    static HttpServerOptions serverOptions(String host, int port) {
        return new HttpServerOptions()
                .setHost(host)
                .setPort(port)
                .setHttp2ClearTextEnabled(true)
                .setUseAlpn(false)
                .setSsl(false)
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true)
                .setIdleTimeout(0)
                .setHttp2ConnectionWindowSize(CONNECTION_WINDOW_BYTES)
                .setInitialSettings(http2Settings())
                .setCompressionSupported(false)
                .setDecompressionSupported(false);
    }

    private static Http2Settings http2Settings() {
        return new Http2Settings()
                .setInitialWindowSize(STREAM_WINDOW_BYTES)
                .setMaxFrameSize(MAX_FRAME_SIZE)
                .setMaxConcurrentStreams(1000);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Binds every listen URL and starts dialling the peers; fails if any URL cannot be bound. */
    public synchronized CompletableFuture<Void> start() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        if (!servers.isEmpty() || closed) {
            result.completeExceptionally(new IllegalStateException(closed
                    ? "peer transport closed" : "peer transport already started"));
            return result;
        }
        List<Future<HttpServer>> binds = new ArrayList<>();
        try {
            for (String url : config.listenUrls()) {
                URI u = URI.create(url);
                if (!"http".equalsIgnoreCase(u.getScheme())) {
                    throw new IllegalArgumentException("unsupported peer URL scheme (only http for now): " + url);
                }
                String host = u.getHost() == null ? "0.0.0.0" : u.getHost();
                HttpServer server = vertx.createHttpServer(serverOptions(host, port(u)));
                server.requestHandler(this::serve);
                server.connectionHandler(conn -> {
                    serverConnections.add(conn);
                    conn.closeHandler(v -> serverConnections.remove(conn));
                });
                servers.add(server);
                binds.add(server.listen());
            }
        } catch (RuntimeException e) {
            closeServers();
            result.completeExceptionally(e);
            return result;
        }
        Future.join(binds).onComplete(ar -> {
            if (ar.failed()) {
                closeServers();
                result.completeExceptionally(ar.cause());
                return;
            }
            ctx.runOnContext(v -> {
                if (closed) {
                    result.completeExceptionally(new IllegalStateException("peer transport closed"));
                    return;
                }
                started = true;
                for (Peer p : peers.values()) {
                    dial(p);
                }
                probeTimer = vertx.setPeriodic(PROBE_INTERVAL_MS, t -> probeAll());
                LOG.infof("peer transport of member %s (cluster %s) listening on %s",
                        localHex, hex(config.clusterId()), config.listenUrls());
                result.complete(null);
            });
        });
        return result;
    }

    /** The actual port of the {@code i}-th listener (useful when a URL names port 0). */
    public int boundPort(int i) {
        return servers.get(i).actualPort();
    }

    private void closeServers() {
        for (HttpServer s : servers) {
            s.close();
        }
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
            for (Peer p : peers.values()) {
                p.shutdown();
                removeGauge(p);
            }
            List<Future<Void>> fs = new ArrayList<>();
            // HTTP/2 closes gracefully (GOAWAY, then waits for open streams): reset the streams
            // and close the connections now, so that peers see this member go at once.
            for (HttpServerRequest in : inboundStreams.keySet()) {
                in.response().reset();
            }
            inboundStreams.clear();
            for (HttpConnection c : serverConnections) {
                fs.add(c.shutdown(0, TimeUnit.MILLISECONDS));
            }
            for (HttpServer s : servers) {
                fs.add(s.close());
            }
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
        Peer existing = peers.get(id);
        if (existing != null) {
            existing.urls = urls;
            return;
        }
        Peer p = new Peer(id, urls);
        if (peers.putIfAbsent(id, p) != null) {
            peers.get(id).urls = urls;
            return;
        }
        if (started) {
            ctx.runOnContext(v -> dial(p));
        }
    }

    /** Removes a peer: its stream is closed and it is no longer accepted as a sender. */
    public void removePeer(long id) {
        Peer p = peers.remove(id);
        if (p == null) {
            return;
        }
        // Meters go now (not on the context) so that a re-added peer registers fresh ones.
        if (registry != null) {
            for (Meter m : p.meters) {
                registry.remove(m);
            }
            Counter c = receivedBytes.remove(id);
            if (c != null) {
                registry.remove(c);
            }
        }
        ctx.runOnContext(v -> p.shutdown());
        // A removed member's streams into this one are cut; its new requests are refused.
        inboundStreams.forEach((in, from) -> {
            if (from == id) {
                inboundStreams.remove(in);
                in.response().reset();
            }
        });
    }

    /** Whether the message stream to {@code peerId} is currently connected. */
    public boolean isActive(long peerId) {
        Peer p = peers.get(peerId);
        return p != null && p.active;
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
            Peer p = peers.get(to);
            HttpClientRequest stream = p == null ? null : p.stream;
            if (closed || p == null || !p.active || stream == null || stream.writeQueueFull()) {
                handler.unreachable(to);
                continue;
            }
            Buffer frames = frames(e.getValue());
            try {
                stream.write(frames);
            } catch (RuntimeException ex) {
                // The stream went away and its exception event has not been handled yet.
                handler.unreachable(to);
                linkDown(p, stream, LinkState.DOWN, ex.toString());
                continue;
            }
            p.sentBytes(frames.length());
        }
    }

    /** Length-prefixed frames of {@code messages}, in one buffer. */
    static Buffer frames(List<Message> messages) {
        int total = 0;
        int[] sizes = new int[messages.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = messages.get(i).getSerializedSize();
            total += 4 + sizes[i];
        }
        byte[] out = new byte[total];
        ByteBuffer bb = ByteBuffer.wrap(out);
        int off = 0;
        try {
            for (int i = 0; i < sizes.length; i++) {
                bb.putInt(off, sizes[i]);
                off += 4;
                CodedOutputStream cos = CodedOutputStream.newInstance(out, off, sizes[i]);
                messages.get(i).writeTo(cos);
                cos.checkNoSpaceLeft();
                off += sizes[i];
            }
        } catch (IOException e) {
            throw new IllegalStateException("serializing a Raft message", e);
        }
        return Buffer.buffer(out);
    }

    // ---------------------------------------------------------------- stream (dialling side)

    /** Per-peer dialling state; mutable fields are touched only on {@link #ctx}. */
    private final class Peer {
        final long id;
        final String hexId;
        volatile List<URI> urls;
        volatile boolean active;
        int nextUrl;
        URI goodUrl;
        HttpClientRequest stream;
        long backoffMs = BACKOFF_START_MS;
        long redialTimer = -1;
        boolean removed;
        boolean probing;
        boolean dialing;
        int probeFailures;
        LinkState state = LinkState.INIT;
        final List<Meter> meters = new ArrayList<>();
        Counter sent;
        Timer rtt;
        Gauge activeGauge;

        Peer(long id, List<URI> urls) {
            this.id = id;
            this.hexId = hex(id);
            this.urls = urls;
            if (registry != null) {
                sent = Counter.builder("etcd.network.peer.sent.bytes")
                        .description("The total number of bytes sent to peers.")
                        .baseUnit("bytes")
                        .tag("To", hexId)
                        .register(registry);
                // etcd's buckets: 0.1 ms doubling, 16 of them (up to ~3.3 s).
                Duration[] slo = new Duration[16];
                for (int i = 0; i < slo.length; i++) {
                    slo[i] = Duration.ofNanos(100_000L << i);
                }
                rtt = Timer.builder("etcd.network.peer.round.trip.time")
                        .description("Round-Trip-Time histogram between peers")
                        .serviceLevelObjectives(slo)
                        .tag("To", hexId)
                        .register(registry);
                activeGauge = Gauge.builder("etcd.network.active.peers", this, p -> p.active ? 1 : 0)
                        .description("The current number of active peer connections.")
                        .tags("Local", localHex, "Remote", hexId)
                        .strongReference(true)
                        .register(registry);
                meters.add(sent);
                meters.add(rtt);
                meters.add(activeGauge);
            }
        }

        void sentBytes(long n) {
            if (sent != null) {
                sent.increment(n);
            }
        }

        URI currentUrl() {
            List<URI> us = urls;
            if (goodUrl != null && us.contains(goodUrl)) {
                return goodUrl;
            }
            return us.isEmpty() ? null : us.get(0);
        }

        void shutdown() {
            removed = true;
            active = false;
            if (redialTimer != -1) {
                vertx.cancelTimer(redialTimer);
                redialTimer = -1;
            }
            if (stream != null) {
                HttpClientRequest s = stream;
                stream = null;
                s.reset();
            }
        }
    }

    private enum LinkState { INIT, CONNECTED, DOWN, REFUSED }

    private void removeGauge(Peer p) {
        if (registry != null && p.activeGauge != null) {
            registry.remove(p.activeGauge);
        }
    }

    private void dial(Peer p) {
        if (closed || p.removed || p.stream != null || p.dialing) {
            return;
        }
        List<URI> us = p.urls;
        if (us.isEmpty()) {
            redialLater(p);
            return;
        }
        URI u = us.get(Math.floorMod(p.nextUrl++, us.size()));
        RequestOptions o = requestOptions(p.id, u, HttpMethod.POST, PATH_STREAM);
        p.dialing = true;
        client.request(o).onComplete(ar -> {
            p.dialing = false;
            if (ar.failed()) {
                linkDown(p, null, LinkState.DOWN, ar.cause().toString());
                return;
            }
            HttpClientRequest req = ar.result();
            if (closed || p.removed || p.stream != null) {
                req.reset();
                return;
            }
            p.stream = req;
            // Vert.x 4 wants "chunked" for a body of unknown length; on HTTP/2 it only lifts that check.
            req.setChunked(true);
            req.exceptionHandler(t -> linkDown(p, req, LinkState.DOWN, t.toString()));
            // A peer that accepts the connection but never answers (hung, or a half-open
            // connection in a pool) must not hold the dial forever.
            long answerTimeout = probeTimeoutMs;
            long answerTimer = vertx.setTimer(answerTimeout, t -> {
                if (p.stream == req && !p.active) {
                    HttpConnection c = req.connection();
                    linkDown(p, req, LinkState.DOWN, "no answer within " + answerTimeout + " ms");
                    c.close();
                }
            });
            req.response().onComplete(rar -> {
                vertx.cancelTimer(answerTimer);
                if (rar.failed()) {
                    linkDown(p, req, LinkState.DOWN, rar.cause().toString());
                    return;
                }
                HttpClientResponse resp = rar.result();
                if (resp.statusCode() == 200) {
                    resp.handler(b -> { });
                    resp.exceptionHandler(t -> linkDown(p, req, LinkState.DOWN, t.toString()));
                    resp.endHandler(v -> linkDown(p, req, LinkState.DOWN, "stream closed by the peer"));
                    if (p.stream == req) {
                        linkUp(p, u);
                    }
                    return;
                }
                int status = resp.statusCode();
                resp.exceptionHandler(t -> { });
                resp.body().onComplete(bar -> {
                    String why = bar.succeeded() ? bar.result().toString(StandardCharsets.UTF_8).trim() : "";
                    linkDown(p, req, status == 412 ? LinkState.REFUSED : LinkState.DOWN,
                            "HTTP " + status + (why.isEmpty() ? "" : ": " + why));
                });
            });
            req.sendHead().onFailure(t -> linkDown(p, req, LinkState.DOWN, t.toString()));
        });
    }

    private void linkUp(Peer p, URI u) {
        p.active = true;
        p.goodUrl = u;
        p.backoffMs = BACKOFF_START_MS;
        if (p.state != LinkState.CONNECTED) {
            LOG.infof("peer %s became active (stream to %s connected)", p.hexId, u);
            p.state = LinkState.CONNECTED;
        }
    }

    /** The stream {@code req} (or a dial attempt, if null) failed; re-dial with backoff. */
    private void linkDown(Peer p, HttpClientRequest req, LinkState newState, String why) {
        if (req != null) {
            if (p.stream != req) {
                return; // an old stream's late event
            }
            p.stream = null;
            req.reset();
        } else if (p.stream != null) {
            return;
        }
        p.active = false;
        if (p.removed || closed) {
            return;
        }
        if (newState != p.state) {
            if (newState == LinkState.REFUSED) {
                LOG.warn(String.format("peer %s refused the stream from member %s: it belongs to another cluster"
                        + " (this member is in cluster %s); will keep retrying (%s)",
                        p.hexId, localHex, hex(config.clusterId()), why));
            } else if (p.state == LinkState.CONNECTED) {
                LOG.infof("peer %s became inactive (stream lost: %s)", p.hexId, why);
            } else if (p.state == LinkState.REFUSED) {
                LOG.infof("peer %s is unreachable (%s)", p.hexId, why);
            } else if (why.startsWith("HTTP ")) {
                LOG.warn(String.format("peer %s refused the stream from member %s: %s", p.hexId, localHex, why));
            } else {
                LOG.debugf("peer %s is unreachable (%s)", p.hexId, why);
            }
            p.state = newState;
        }
        redialLater(p);
    }

    private void redialLater(Peer p) {
        if (closed || p.removed || p.redialTimer != -1) {
            return;
        }
        long delay = p.backoffMs;
        p.backoffMs = Math.min(p.backoffMs * 2, BACKOFF_MAX_MS);
        p.redialTimer = vertx.setTimer(delay, t -> {
            p.redialTimer = -1;
            dial(p);
        });
    }

    private RequestOptions requestOptions(long to, URI u, HttpMethod method, String path) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap()
                .set(HDR_CLUSTER, hex(config.clusterId()))
                .set(HDR_FROM, localHex)
                .set(HDR_TO, hex(to))
                .set("content-type", "application/octet-stream");
        return new RequestOptions()
                .setMethod(method)
                .setHost(u.getHost())
                .setPort(port(u))
                .setURI(path)
                .setHeaders(h)
                // Covers getting a connection from the pool, not only the TCP connect.
                .setConnectTimeout(CONNECT_TIMEOUT_MS);
    }

    // ---------------------------------------------------------------- probing

    private void probeAll() {
        if (closed) {
            return;
        }
        for (Peer p : peers.values()) {
            probe(p);
        }
    }

    private void probe(Peer p) {
        URI u = p.currentUrl();
        if (p.probing || u == null || p.removed) {
            return;
        }
        p.probing = true;
        long startNs = System.nanoTime();
        RequestOptions o = requestOptions(p.id, u, HttpMethod.GET, PATH_PROBE)
                .setIdleTimeout(probeTimeoutMs);
        client.request(o)
                .compose(HttpClientRequest::send)
                .compose(resp -> resp.body().map(b -> resp.statusCode()))
                .onComplete(ar -> {
                    p.probing = false;
                    if (ar.succeeded()) {
                        p.probeFailures = 0;
                        if (ar.result() == 200 && p.rtt != null) {
                            p.rtt.record(System.nanoTime() - startNs, TimeUnit.NANOSECONDS);
                        }
                        return;
                    }
                    HttpClientRequest s = p.stream;
                    if (!p.active || s == null) {
                        p.probeFailures = 0;
                        return;
                    }
                    // The stream looks connected but the peer does not answer on its connection:
                    // a partition that left no RST/FIN. Drop the connection and re-dial.
                    if (++p.probeFailures >= PROBE_FAILURES_TO_DROP) {
                        p.probeFailures = 0;
                        HttpConnection c = s.connection();
                        linkDown(p, s, LinkState.DOWN,
                                PROBE_FAILURES_TO_DROP + " probes in a row failed (" + ar.cause() + ")");
                        c.close();
                    }
                });
    }

    // ---------------------------------------------------------------- snapshots (sending side)

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
        Peer p = peers.get(to);
        URI u = p == null ? null : p.currentUrl();
        if (closed || u == null) {
            handler.snapshotSent(to, false);
            return;
        }
        String hexTo = hex(to);
        vertx.fileSystem().open(dataFile.toString(), new OpenOptions().setRead(true).setWrite(false).setCreate(false))
                .onComplete(far -> {
                    if (far.failed()) {
                        LOG.warnf("cannot read snapshot file %s for peer %s: %s", dataFile, hexTo, far.cause().toString());
                        handler.snapshotSent(to, false);
                        return;
                    }
                    AsyncFile file = far.result();
                    file.setReadBufferSize(64 * 1024);
                    file.size().onComplete(sar -> {
                        if (sar.failed()) {
                            file.close();
                            handler.snapshotSent(to, false);
                            return;
                        }
                        streamSnapshot(p, u, m, file, sar.result());
                    });
                });
    }

    private void streamSnapshot(Peer p, URI u, Message m, AsyncFile file, long fileSize) {
        long to = p.id;
        boolean[] reported = {false};
        Runnable fail = () -> {
            if (!reported[0]) {
                reported[0] = true;
                file.close();
                handler.snapshotSent(to, false);
            }
        };
        Buffer head = frames(List.of(m));
        RequestOptions o = requestOptions(to, u, HttpMethod.POST, PATH_SNAPSHOT);
        o.putHeader(HDR_SNAPSHOT_SIZE, Long.toString(fileSize));
        o.putHeader("content-length", Long.toString(head.length() + fileSize));
        long startNs = System.nanoTime();
        snapshotClient.request(o).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warnf("failed to send snapshot [index %d, term %d] to peer %s: %s",
                        m.getSnapshot().getMetadata().getIndex(), m.getSnapshot().getMetadata().getTerm(),
                        p.hexId, ar.cause().toString());
                fail.run();
                return;
            }
            HttpClientRequest req = ar.result();
            req.exceptionHandler(t -> {
                LOG.warnf("sending snapshot to peer %s failed: %s", p.hexId, t.toString());
                fail.run();
            });
            req.response().onComplete(rar -> {
                if (rar.failed()) {
                    fail.run();
                    req.reset();
                    return;
                }
                HttpClientResponse resp = rar.result();
                resp.body().onComplete(bar -> {
                    if (reported[0]) {
                        return;
                    }
                    int st = resp.statusCode();
                    if (st >= 200 && st < 300) {
                        reported[0] = true;
                        file.close();
                        p.sentBytes(head.length() + fileSize);
                        LOG.infof("sent snapshot [index %d, term %d, %d bytes] to peer %s in %d ms",
                                m.getSnapshot().getMetadata().getIndex(), m.getSnapshot().getMetadata().getTerm(),
                                fileSize, p.hexId, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
                        handler.snapshotSent(to, true);
                    } else {
                        String why = bar.succeeded() ? bar.result().toString(StandardCharsets.UTF_8).trim() : "";
                        LOG.warnf("peer %s rejected snapshot: HTTP %d %s", p.hexId, st, why);
                        fail.run();
                        req.reset();
                    }
                });
            });
            req.write(head);
            file.pipe().endOnFailure(false).to(req).onFailure(t -> {
                LOG.warnf("streaming snapshot to peer %s failed: %s", p.hexId, t.toString());
                req.reset();
                fail.run();
            });
        });
    }

    // ---------------------------------------------------------------- unary calls (client)

    /**
     * A unary call to {@code peerId}: {@code POST /raft/call/<method>}. Completes with the
     * answer's bytes, or exceptionally on an error answer, a transport failure or the timeout.
     */
    public CompletableFuture<byte[]> call(long peerId, String method, byte[] body, Duration timeout) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ctx.runOnContext(v -> {
            Peer p = peers.get(peerId);
            URI u = p == null ? null : p.currentUrl();
            if (closed || u == null) {
                result.completeExceptionally(new IllegalStateException("unknown peer " + hex(peerId)));
                return;
            }
            HttpClientRequest[] inFlight = {null};
            long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
                if (result.completeExceptionally(new TimeoutException(
                        "call " + method + " to peer " + hex(peerId) + " timed out after " + timeout))) {
                    if (inFlight[0] != null) {
                        inFlight[0].reset();
                    }
                }
            });
            RequestOptions o = requestOptions(peerId, u, HttpMethod.POST, PATH_CALL + method);
            client.request(o)
                    .compose(req -> {
                        inFlight[0] = req;
                        return req.send(Buffer.buffer(body));
                    })
                    .compose(resp -> resp.body().map(b -> {
                        if (resp.statusCode() == 200) {
                            return b.getBytes();
                        }
                        throw new PeerCallException(resp.statusCode(), b.toString(StandardCharsets.UTF_8));
                    }))
                    .onComplete(ar -> {
                        vertx.cancelTimer(timer);
                        if (ar.succeeded()) {
                            result.complete(ar.result());
                        } else {
                            result.completeExceptionally(ar.cause());
                        }
                    });
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

    // ---------------------------------------------------------------- serving side

    private void serve(HttpServerRequest req) {
        if (closed) {
            req.response().setStatusCode(503).end("this member's peer transport is closing\n");
            return;
        }
        String path = req.path();
        HttpMethod method = req.method();
        if (path.equals(PATH_STREAM) && method == HttpMethod.POST) {
            Long from = admit(req);
            if (from != null) {
                serveStream(req, from);
            }
        } else if (path.equals(PATH_SNAPSHOT) && method == HttpMethod.POST) {
            Long from = admit(req);
            if (from != null) {
                serveSnapshot(req, from);
            }
        } else if (path.startsWith(PATH_CALL) && path.length() > PATH_CALL.length() && method == HttpMethod.POST) {
            Long from = admit(req);
            if (from != null) {
                serveCall(req, path.substring(PATH_CALL.length()));
            }
        } else if (path.equals(PATH_PROBE) && method == HttpMethod.GET) {
            Long from = admit(req);
            if (from != null) {
                req.response().putHeader("content-type", "application/json")
                        .end("{\"now\":\"" + java.time.Instant.now() + "\"}");
            }
        } else {
            req.response().setStatusCode(404).end("404 page not found\n");
        }
    }

    /** Checks the cluster, recipient and sender headers; answers and returns null on refusal. */
    private Long admit(HttpServerRequest req) {
        String clusterHdr = req.getHeader(HDR_CLUSTER);
        String fromHdr = req.getHeader(HDR_FROM);
        String toHdr = req.getHeader(HDR_TO);
        Long cluster = parseHex(clusterHdr);
        Long from = parseHex(fromHdr);
        Long to = parseHex(toHdr);
        String ourCluster = hex(config.clusterId());
        if (cluster == null || cluster != config.clusterId()) {
            LOG.warn(String.format("refused a connection from member %s of cluster %s (this member is in cluster %s)",
                    fromHdr, clusterHdr, ourCluster));
            refuse(req, 412, "cluster ID mismatch: this member (" + localHex + ") is in cluster " + ourCluster
                    + ", the request came from cluster " + clusterHdr);
            return null;
        }
        if (to == null || to != config.localId()) {
            LOG.warnf("refused a request from member %s addressed to member %s (this member is %s)", fromHdr, toHdr, localHex);
            refuse(req, 404, "request addressed to member " + toHdr + ", this member is " + localHex);
            return null;
        }
        if (from == null || !peers.containsKey(from)) {
            LOG.warnf("refused a request from member %s: not a member of cluster %s known to member %s",
                    fromHdr, ourCluster, localHex);
            refuse(req, 404, "member " + fromHdr + " is not a member of cluster " + ourCluster + " known to " + localHex);
            return null;
        }
        return from;
    }

    private static void refuse(HttpServerRequest req, int status, String why) {
        req.exceptionHandler(t -> { });
        req.handler(b -> { });
        req.response().setStatusCode(status).putHeader("content-type", "text/plain; charset=utf-8").end(why + "\n");
    }

    private Counter received(long from) {
        if (registry == null) {
            return null;
        }
        return receivedBytes.computeIfAbsent(from, f -> Counter.builder("etcd.network.peer.received.bytes")
                .description("The total number of bytes received from peers.")
                .baseUnit("bytes")
                .tag("From", hex(f))
                .register(registry));
    }

    private void serveStream(HttpServerRequest req, long from) {
        String fromHex = hex(from);
        Counter rx = received(from);
        HttpServerResponse resp = req.response();
        resp.setStatusCode(200).putHeader("content-type", "application/octet-stream");
        if (req.version() != HttpVersion.HTTP_2) {
            resp.setChunked(true); // a body of unknown length on HTTP/1.1 (a debugging client)
        }
        resp.write(Buffer.buffer()); // sends the headers: the dialler now knows the stream is up
        LOG.debugf("accepted the message stream from peer %s", fromHex);
        RecordParser parser = RecordParser.newFixed(4);
        int[] expecting = {-1};
        parser.handler(buf -> {
            if (expecting[0] < 0) {
                int n = buf.getInt(0);
                if (n < 0 || n > MAX_FRAME_BYTES) {
                    LOG.warnf("closing the stream from peer %s: bad frame length %d", fromHex, n);
                    req.connection().close();
                    return;
                }
                if (n > 0) {
                    expecting[0] = n;
                    parser.fixedSizeMode(n);
                    return;
                }
                deliver(req, fromHex, rx, new byte[0]);
                return;
            }
            expecting[0] = -1;
            parser.fixedSizeMode(4);
            deliver(req, fromHex, rx, buf.getBytes());
        });
        req.handler(parser);
        inboundStreams.put(req, from);
        req.exceptionHandler(t -> {
            inboundStreams.remove(req);
            LOG.debugf("message stream from peer %s ended: %s", fromHex, t.toString());
        });
        req.endHandler(v -> {
            inboundStreams.remove(req);
            if (!resp.ended()) {
                resp.end();
            }
        });
    }

    private void deliver(HttpServerRequest req, String fromHex, Counter rx, byte[] bytes) {
        if (rx != null) {
            rx.increment(4 + bytes.length);
        }
        Message m;
        try {
            m = Message.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("closing the stream from peer %s: undecodable message (%s)", fromHex, e.getMessage());
            req.connection().close();
            return;
        }
        try {
            handler.receive(m);
        } catch (RuntimeException e) {
            LOG.errorf(e, "the member failed to take a message from peer %s", fromHex);
        }
    }

    private void serveSnapshot(HttpServerRequest req, long from) {
        String fromHex = hex(from);
        Counter rx = received(from);
        Long expected = parseLong(req.getHeader(HDR_SNAPSHOT_SIZE));
        req.pause();
        Path dir = config.snapshotDir();
        vertx.<Path>executeBlocking(() -> {
            Files.createDirectories(dir);
            return Files.createTempFile(dir, "snap-from-" + fromHex + "-", ".part");
        }, false).compose(tmp -> vertx.fileSystem()
                .open(tmp.toString(), new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true))
                .map(f -> new SnapshotReceiver(req, fromHex, rx, tmp, f, expected))
                .onFailure(t -> deleteQuietly(tmp)))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        LOG.errorf("cannot store a snapshot from peer %s: %s", fromHex, ar.cause().toString());
                        req.response().setStatusCode(500).end("cannot store the snapshot: " + ar.cause().getMessage());
                        req.resume();
                        return;
                    }
                    ar.result().start();
                });
    }

    /** Receives one snapshot request: the message frame, then the data into {@code tmp}. */
    private final class SnapshotReceiver {
        final HttpServerRequest req;
        final String fromHex;
        final Counter rx;
        final Path tmp;
        final AsyncFile file;
        final Long expected;
        Buffer head = Buffer.buffer();
        Message msg;
        long dataBytes;
        boolean done;

        SnapshotReceiver(HttpServerRequest req, String fromHex, Counter rx, Path tmp, AsyncFile file, Long expected) {
            this.req = req;
            this.fromHex = fromHex;
            this.rx = rx;
            this.tmp = tmp;
            this.file = file;
            this.expected = expected;
        }

        void start() {
            file.exceptionHandler(t -> fail(500, "writing the snapshot: " + t));
            req.exceptionHandler(t -> fail(0, "request failed: " + t));
            req.handler(this::chunk);
            req.endHandler(v -> end());
            req.resume();
        }

        void chunk(Buffer b) {
            if (done) {
                return;
            }
            if (rx != null) {
                rx.increment(b.length());
            }
            if (msg == null) {
                head.appendBuffer(b);
                if (head.length() < 4) {
                    return;
                }
                int n = head.getInt(0);
                if (n < 0 || n > MAX_FRAME_BYTES) {
                    fail(400, "bad snapshot message length " + n);
                    return;
                }
                if (head.length() < 4 + n) {
                    return;
                }
                try {
                    msg = Message.parseFrom(head.getBytes(4, 4 + n));
                } catch (InvalidProtocolBufferException e) {
                    fail(400, "undecodable snapshot message: " + e.getMessage());
                    return;
                }
                b = head.getBuffer(4 + n, head.length());
                head = null;
                if (b.length() == 0) {
                    return;
                }
            }
            dataBytes += b.length();
            file.write(b);
            if (file.writeQueueFull()) {
                req.pause();
                file.drainHandler(v -> req.resume());
            }
        }

        void end() {
            if (done) {
                return;
            }
            if (msg == null) {
                fail(400, "the request ended before the snapshot message");
                return;
            }
            if (expected != null && expected != dataBytes) {
                fail(400, "snapshot truncated: expected " + expected + " bytes, got " + dataBytes);
                return;
            }
            done = true;
            file.close().compose(v -> vertx.<Void>executeBlocking(() -> {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                fsyncDir(tmp.getParent());
                return null;
            }, false)).onComplete(ar -> {
                if (ar.failed()) {
                    LOG.errorf("cannot sync a snapshot from peer %s: %s", fromHex, ar.cause().toString());
                    deleteQuietly(tmp);
                    req.response().setStatusCode(500).end("cannot sync the snapshot: " + ar.cause().getMessage());
                    return;
                }
                LOG.infof("received snapshot [index %d, term %d, %d bytes] from peer %s",
                        msg.getSnapshot().getMetadata().getIndex(), msg.getSnapshot().getMetadata().getTerm(),
                        dataBytes, fromHex);
                try {
                    handler.receiveSnapshot(msg, tmp);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "the member failed to take a snapshot from peer %s", fromHex);
                    deleteQuietly(tmp);
                    req.response().setStatusCode(500).end("the member failed to take the snapshot: " + e.getMessage());
                    return;
                }
                req.response().setStatusCode(204).end();
            });
        }

        /** Gives up: closes and deletes the temp file, answers {@code status} (0: no answer). */
        void fail(int status, String why) {
            if (done) {
                return;
            }
            done = true;
            LOG.warnf("failed to receive a snapshot from peer %s: %s", fromHex, why);
            req.handler(b -> { });
            file.close().onComplete(ar -> vertx.executeBlocking(() -> {
                deleteQuietly(tmp);
                return null;
            }, false));
            if (status != 0 && !req.response().ended() && !req.response().closed()) {
                req.response().setStatusCode(status).end(why + "\n");
            }
            req.resume();
        }
    }

    private static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            // Not every platform lets a directory be opened for fsync; the file itself is synced.
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.debugf("cannot delete %s: %s", p, e.toString());
        }
    }

    private void serveCall(HttpServerRequest req, String method) {
        Context here = vertx.getOrCreateContext();
        req.body().onComplete(bar -> {
            if (bar.failed()) {
                return;
            }
            CompletableFuture<byte[]> answer;
            try {
                answer = handler.call(method, bar.result().getBytes());
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((bytes, err) -> here.runOnContext(v -> {
                HttpServerResponse resp = req.response();
                if (resp.ended() || resp.closed()) {
                    return;
                }
                if (err == null) {
                    resp.setStatusCode(200).putHeader("content-type", "application/octet-stream")
                            .end(Buffer.buffer(bytes == null ? new byte[0] : bytes));
                } else {
                    Throwable c = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                            ? err.getCause() : err;
                    resp.setStatusCode(500).putHeader("content-type", "text/plain; charset=utf-8")
                            .end(String.valueOf(c.getMessage()));
                }
            }));
        });
    }

    // ---------------------------------------------------------------- helpers

    static String hex(long id) {
        return Long.toHexString(id);
    }

    private static Long parseHex(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long parseLong(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int port(URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
}
