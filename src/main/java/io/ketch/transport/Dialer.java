package io.ketch.transport;

import static io.ketch.transport.Wire.hex;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.util.function.BooleanSupplier;

/**
 * What every {@link PeerLink} shares: the Vert.x instance, the client that carries the streams,
 * probes and calls (one multiplexed connection per peer), this member's identity, and whether
 * the transport is closed.
 */
final class Dialer {
    static final long PROBE_TIMEOUT_MS = 5000;

    final Vertx vertx;
    final HttpClient client;
    final TransportConfig config;
    final String localHex;
    final PeerHandler handler;
    private final BooleanSupplier closed;
    /** Tests shorten it to see a silent partition detected quickly. */
    volatile long probeTimeoutMs = PROBE_TIMEOUT_MS;

    Dialer(Vertx vertx, HttpClient client, TransportConfig config, PeerHandler handler, BooleanSupplier closed) {
        this.vertx = vertx;
        this.handler = handler;
        this.client = client;
        this.config = config;
        this.localHex = hex(config.localId());
        this.closed = closed;
    }

    boolean closed() {
        return closed.getAsBoolean();
    }
}
