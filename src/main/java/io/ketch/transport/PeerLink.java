package io.ketch.transport;

import static io.ketch.transport.Wire.hex;

import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The dialling side of one peer: its message stream ({@code POST /raft/stream}), dialled and
 * re-dialled with backoff over the peer's URLs in turn, the link state that is logged on each
 * change, and the probes that time the round trip and catch a silent partition.
 *
 * <p>Threading: mutable fields are touched only on the transport's context; {@link #urls} and
 * {@link #active} are also read from other threads.
 */
final class PeerLink {
    // The transport's log category, as before the split: log settings and tests name it.
    private static final Logger LOG = Logger.getLogger(PeerTransport.class);

    static final long BACKOFF_START_MS = 50;
    static final long BACKOFF_MAX_MS = 1000;
    static final long PROBE_INTERVAL_MS = 1000;
    /** Probes failed in a row before a connected stream is presumed dead (a silent partition). */
    static final int PROBE_FAILURES_TO_DROP = 3;

    enum LinkState { INIT, CONNECTED, DOWN, REFUSED }

    private final Dialer dialer;
    final long id;
    final String hexId;
    volatile List<URI> urls;
    volatile boolean active;
    /** System.nanoTime() when the stream last connected; meaningful while {@link #active}. */
    volatile long activeSince;
    final PeerMetrics.LinkMeters meters;
    private int nextUrl;
    private URI goodUrl;
    HttpClientRequest stream;
    private long backoffMs = BACKOFF_START_MS;
    private long redialTimer = -1;
    private boolean removed;
    private boolean probing;
    private boolean dialing;
    private int probeFailures;
    private LinkState state = LinkState.INIT;

    PeerLink(Dialer dialer, PeerMetrics metrics, long id, List<URI> urls) {
        this.dialer = dialer;
        this.id = id;
        this.hexId = hex(id);
        this.urls = urls;
        this.meters = metrics.link(hexId, () -> active);
    }

    void sentBytes(long n) {
        meters.sentBytes(n);
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
            dialer.vertx.cancelTimer(redialTimer);
            redialTimer = -1;
        }
        if (stream != null) {
            HttpClientRequest s = stream;
            stream = null;
            s.reset();
        }
    }

    // ---------------------------------------------------------------- stream

    void dial() {
        if (dialer.closed() || removed || stream != null || dialing) {
            return;
        }
        List<URI> us = urls;
        if (us.isEmpty()) {
            redialLater();
            return;
        }
        URI u = us.get(Math.floorMod(nextUrl++, us.size()));
        RequestOptions o = Wire.requestOptions(dialer.config, id, u, HttpMethod.POST, Wire.PATH_STREAM);
        dialing = true;
        dialer.client.request(o).onComplete(ar -> {
            dialing = false;
            if (ar.failed()) {
                linkDown(null, LinkState.DOWN, ar.cause().toString());
                return;
            }
            HttpClientRequest req = ar.result();
            if (dialer.closed() || removed || stream != null) {
                req.reset();
                return;
            }
            stream = req;
            // Vert.x 4 wants "chunked" for a body of unknown length; on HTTP/2 it only lifts that check.
            req.setChunked(true);
            req.exceptionHandler(t -> linkDown(req, LinkState.DOWN, t.toString()));
            // A peer that accepts the connection but never answers (hung, or a half-open
            // connection in a pool) must not hold the dial forever.
            long answerTimeout = dialer.probeTimeoutMs;
            long answerTimer = dialer.vertx.setTimer(answerTimeout, t -> {
                if (stream == req && !active) {
                    HttpConnection c = req.connection();
                    linkDown(req, LinkState.DOWN, "no answer within " + answerTimeout + " ms");
                    c.close();
                }
            });
            req.response().onComplete(rar -> {
                dialer.vertx.cancelTimer(answerTimer);
                if (rar.failed()) {
                    linkDown(req, LinkState.DOWN, rar.cause().toString());
                    return;
                }
                HttpClientResponse resp = rar.result();
                if (resp.statusCode() == 200) {
                    resp.handler(b -> { });
                    resp.exceptionHandler(t -> linkDown(req, LinkState.DOWN, t.toString()));
                    resp.endHandler(v -> linkDown(req, LinkState.DOWN, "stream closed by the peer"));
                    if (stream == req) {
                        linkUp(u);
                    }
                    return;
                }
                int status = resp.statusCode();
                resp.exceptionHandler(t -> { });
                resp.body().onComplete(bar -> {
                    String why = bar.succeeded() ? bar.result().toString(StandardCharsets.UTF_8).trim() : "";
                    if (status == 410) {
                        dialer.handler.removedFromCluster();
                    }
                    linkDown(req, status == 412 ? LinkState.REFUSED : LinkState.DOWN,
                            "HTTP " + status + (why.isEmpty() ? "" : ": " + why));
                });
            });
            req.sendHead().onFailure(t -> linkDown(req, LinkState.DOWN, t.toString()));
        });
    }

    private void linkUp(URI u) {
        if (!active) {
            activeSince = System.nanoTime();
        }
        active = true;
        goodUrl = u;
        backoffMs = BACKOFF_START_MS;
        if (state != LinkState.CONNECTED) {
            LOG.infof("peer %s became active (stream to %s connected)", hexId, u);
            state = LinkState.CONNECTED;
        }
    }

    /** The stream {@code req} (or a dial attempt, if null) failed; re-dial with backoff. */
    void linkDown(HttpClientRequest req, LinkState newState, String why) {
        if (req != null) {
            if (stream != req) {
                return; // an old stream's late event
            }
            stream = null;
            req.reset();
        } else if (stream != null) {
            return;
        }
        active = false;
        if (removed || dialer.closed()) {
            return;
        }
        if (newState != state) {
            if (newState == LinkState.REFUSED) {
                LOG.warn(String.format("peer %s refused the stream from member %s: it belongs to another cluster"
                        + " (this member is in cluster %s); will keep retrying (%s)",
                        hexId, dialer.localHex, hex(dialer.config.clusterId()), why));
            } else if (state == LinkState.CONNECTED) {
                LOG.infof("peer %s became inactive (stream lost: %s)", hexId, why);
            } else if (state == LinkState.REFUSED) {
                LOG.infof("peer %s is unreachable (%s)", hexId, why);
            } else if (why.startsWith("HTTP ")) {
                LOG.warn(String.format("peer %s refused the stream from member %s: %s", hexId, dialer.localHex, why));
            } else {
                LOG.debugf("peer %s is unreachable (%s)", hexId, why);
            }
            state = newState;
        }
        redialLater();
    }

    private void redialLater() {
        if (dialer.closed() || removed || redialTimer != -1) {
            return;
        }
        long delay = backoffMs;
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
        redialTimer = dialer.vertx.setTimer(delay, t -> {
            redialTimer = -1;
            dial();
        });
    }

    // ---------------------------------------------------------------- probing

    void probe() {
        URI u = currentUrl();
        if (probing || u == null || removed) {
            return;
        }
        probing = true;
        long startNs = System.nanoTime();
        RequestOptions o = Wire.requestOptions(dialer.config, id, u, HttpMethod.GET, Wire.PATH_PROBE)
                .setIdleTimeout(dialer.probeTimeoutMs);
        dialer.client.request(o)
                .compose(HttpClientRequest::send)
                .compose(resp -> resp.body().map(b -> resp.statusCode()))
                .onComplete(ar -> {
                    probing = false;
                    if (ar.succeeded()) {
                        probeFailures = 0;
                        if (ar.result() == 200) {
                            meters.roundTrip(System.nanoTime() - startNs);
                        }
                        return;
                    }
                    HttpClientRequest s = stream;
                    if (!active || s == null) {
                        probeFailures = 0;
                        return;
                    }
                    // The stream looks connected but the peer does not answer on its connection:
                    // a partition that left no RST/FIN. Drop the connection and re-dial.
                    if (++probeFailures >= PROBE_FAILURES_TO_DROP) {
                        probeFailures = 0;
                        HttpConnection c = s.connection();
                        linkDown(s, LinkState.DOWN,
                                PROBE_FAILURES_TO_DROP + " probes in a row failed (" + ar.cause() + ")");
                        c.close();
                    }
                });
    }
}
