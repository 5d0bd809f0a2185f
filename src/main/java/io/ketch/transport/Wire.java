package io.ketch.transport;

import io.vertx.core.MultiMap;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.URI;

/**
 * The shape of the peer protocol on the wire: paths, headers, the HTTP/2 options of both ends
 * (TLS goes here) and the hex member IDs. Stateless.
 */
final class Wire {
    static final String HDR_CLUSTER = "X-Etcd-Cluster-ID";
    static final String HDR_FROM = "X-Server-From";
    static final String HDR_TO = "X-Raft-To";
    /** Snapshot requests: the number of file bytes that follow the message frame. */
    static final String HDR_SNAPSHOT_SIZE = "X-Snapshot-Size";

    static final String PATH_STREAM = "/raft/stream";
    static final String PATH_SNAPSHOT = "/raft/snapshot";
    static final String PATH_CALL = "/raft/call/";
    static final String PATH_PROBE = "/raft/probing";
    static final String PATH_MEMBERS = "/members";


    static final int CONNECT_TIMEOUT_MS = 2000;

    // HTTP/2 settings: a stream window large enough that a ~2 MiB entry goes out without
    // waiting for a WINDOW_UPDATE, and a connection window holding several streams' worth.
    static final int STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
    static final int CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
    static final int MAX_FRAME_SIZE = 1024 * 1024;

    private Wire() {
    }

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

    /** A request from this member to member {@code to} at {@code u}, with the identity headers. */
    static RequestOptions requestOptions(TransportConfig config, long to, URI u, HttpMethod method, String path) {
        MultiMap h = MultiMap.caseInsensitiveMultiMap()
                .set(HDR_CLUSTER, hex(config.clusterId()))
                .set(HDR_FROM, hex(config.localId()))
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

    static String hex(long id) {
        return Long.toHexString(id);
    }

    static Long parseHex(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return Long.parseUnsignedLong(s, 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Long parseLong(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static int port(URI u) {
        if (u.getPort() != -1) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }
}
