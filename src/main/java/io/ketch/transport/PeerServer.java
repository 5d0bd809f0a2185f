package io.ketch.transport;

import static io.ketch.transport.Wire.hex;
import static io.ketch.transport.Wire.parseHex;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.pb.raft.Message;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;
import org.jboss.logging.Logger;

/**
 * The receiving side: the listeners on the {@code --listen-peer-urls}, routing each request,
 * refusing those of another cluster (412), for another member or from an unknown member (404),
 * and serving the inbound message streams. Snapshots go to {@link SnapshotReceiver}, calls to
 * {@link UnaryCalls}. Runs on the HTTP servers' event loops.
 */
final class PeerServer {
    // The transport's log category, as before the split: log settings and tests name it.
    private static final Logger LOG = Logger.getLogger(PeerTransport.class);

    private final Vertx vertx;
    private final TransportConfig config;
    private final PeerHandler handler;
    private final PeerMetrics metrics;
    private final UnaryCalls calls;
    private final LongPredicate isPeer;
    private final BooleanSupplier closed;
    private final String localHex;
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    /** Accepted connections and inbound message streams, torn down at once on close. */
    private final Set<HttpConnection> serverConnections = ConcurrentHashMap.newKeySet();
    private final Map<HttpServerRequest, Long> inboundStreams = new ConcurrentHashMap<>();

    PeerServer(Vertx vertx, TransportConfig config, PeerHandler handler, PeerMetrics metrics, UnaryCalls calls,
            LongPredicate isPeer, BooleanSupplier closed) {
        this.vertx = vertx;
        this.config = config;
        this.handler = handler;
        this.metrics = metrics;
        this.calls = calls;
        this.isPeer = isPeer;
        this.closed = closed;
        this.localHex = hex(config.localId());
    }

    // ---------------------------------------------------------------- listeners

    /** Whether {@link #listen} has been called (the listeners may still be binding). */
    boolean listening() {
        return !servers.isEmpty();
    }

    /**
     * Starts a listener per listen URL; the futures complete as they are bound. Throws on a URL
     * that cannot be served (the listeners started so far are then the caller's to close).
     */
    List<Future<HttpServer>> listen() {
        List<Future<HttpServer>> binds = new ArrayList<>();
        for (String url : config.listenUrls()) {
            URI u = URI.create(url);
            if (!"http".equalsIgnoreCase(u.getScheme())) {
                throw new IllegalArgumentException("unsupported peer URL scheme (only http for now): " + url);
            }
            String host = u.getHost() == null ? "0.0.0.0" : u.getHost();
            HttpServer server = vertx.createHttpServer(Wire.serverOptions(host, Wire.port(u)));
            server.requestHandler(this::serve);
            server.connectionHandler(conn -> {
                serverConnections.add(conn);
                conn.closeHandler(v -> serverConnections.remove(conn));
            });
            servers.add(server);
            binds.add(server.listen());
        }
        return binds;
    }

    int boundPort(int i) {
        return servers.get(i).actualPort();
    }

    /** Closes the listeners (after a failed start). */
    void closeListeners() {
        for (HttpServer s : servers) {
            s.close();
        }
    }

    /** Cuts the inbound streams, the accepted connections and the listeners; the futures complete once closed. */
    List<Future<Void>> shutdown() {
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
        return fs;
    }

    /** Cuts the message streams from removed member {@code id}. */
    void cutStreamsFrom(long id) {
        inboundStreams.forEach((in, from) -> {
            if (from == id) {
                inboundStreams.remove(in);
                in.response().reset();
            }
        });
    }

    // ---------------------------------------------------------------- routing and admission

    private void serve(HttpServerRequest req) {
        if (closed.getAsBoolean()) {
            req.response().setStatusCode(503).end("this member's peer transport is closing\n");
            return;
        }
        String path = req.path();
        HttpMethod method = req.method();
        if (path.equals(Wire.PATH_STREAM) && method == HttpMethod.POST) {
            Long from = admit(req);
            if (from != null) {
                serveStream(req, from);
            }
        } else if (path.equals(Wire.PATH_SNAPSHOT) && method == HttpMethod.POST) {
            Long from = admit(req);
            if (from != null) {
                SnapshotReceiver.accept(vertx, handler, config.snapshotDir(), req, hex(from), metrics.received(from));
            }
        } else if (path.startsWith(Wire.PATH_CALL) && path.length() > Wire.PATH_CALL.length()
                && method == HttpMethod.POST) {
            Long from = admit(req);
            if (from != null) {
                calls.serve(req, path.substring(Wire.PATH_CALL.length()));
            }
        } else if (path.equals(Wire.PATH_MEMBERS) && method == HttpMethod.GET) {
            byte[] members = handler.members();
            if (members == null) {
                req.response().setStatusCode(404).end("404 page not found\n");
            } else {
                req.response().putHeader("content-type", "application/x-protobuf").end(Buffer.buffer(members));
            }
        } else if (path.equals(Wire.PATH_PROBE) && method == HttpMethod.GET) {
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
        String clusterHdr = req.getHeader(Wire.HDR_CLUSTER);
        String fromHdr = req.getHeader(Wire.HDR_FROM);
        String toHdr = req.getHeader(Wire.HDR_TO);
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
        if (from != null && handler.isRemoved(from)) {
            LOG.warnf("refused a request from member %s: it was removed from the cluster", fromHdr);
            refuse(req, 410, PeerTransport.REMOVED_MESSAGE);
            return null;
        }
        if (from == null || !isPeer.test(from)) {
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

    // ---------------------------------------------------------------- inbound message stream

    private void serveStream(HttpServerRequest req, long from) {
        String fromHex = hex(from);
        Counter rx = metrics.received(from);
        HttpServerResponse resp = req.response();
        resp.setStatusCode(200).putHeader("content-type", "application/octet-stream");
        if (req.version() != HttpVersion.HTTP_2) {
            resp.setChunked(true); // a body of unknown length on HTTP/1.1 (a debugging client)
        }
        resp.write(Buffer.buffer()); // sends the headers: the dialler now knows the stream is up
        LOG.debugf("accepted the message stream from peer %s", fromHex);
        req.handler(Frames.decoder(
                bytes -> deliver(req, fromHex, rx, bytes),
                n -> {
                    LOG.warnf("closing the stream from peer %s: bad frame length %d", fromHex, n);
                    req.connection().close();
                }));
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
}
