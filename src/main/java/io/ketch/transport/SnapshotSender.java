package io.ketch.transport;

import io.ketch.pb.raft.Message;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The sending side of {@code POST /raft/snapshot}: a frame carrying the MSG_SNAP message, then
 * the snapshot's data file streamed in chunks under flow control. Reports every outcome once
 * with {@link PeerHandler#snapshotSent}.
 */
final class SnapshotSender {
    // The transport's log category, as before the split: log settings and tests name it.
    private static final Logger LOG = Logger.getLogger(PeerTransport.class);

    private final Vertx vertx;
    /** Snapshots travel on their own connections so that a large one never delays heartbeats. */
    private final HttpClient snapshotClient;
    private final TransportConfig config;
    private final PeerHandler handler;

    SnapshotSender(Vertx vertx, HttpClient snapshotClient, TransportConfig config, PeerHandler handler) {
        this.vertx = vertx;
        this.snapshotClient = snapshotClient;
        this.config = config;
        this.handler = handler;
    }

    /** Sends {@code m} and {@code dataFile} to peer {@code p} at {@code u}. */
    void send(PeerLink p, URI u, Message m, Path dataFile) {
        long to = m.getTo();
        String hexTo = Wire.hex(to);
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
                        stream(p, u, m, file, sar.result());
                    });
                });
    }

    private void stream(PeerLink p, URI u, Message m, AsyncFile file, long fileSize) {
        long to = p.id;
        boolean[] reported = {false};
        Runnable fail = () -> {
            if (!reported[0]) {
                reported[0] = true;
                file.close();
                handler.snapshotSent(to, false);
            }
        };
        Buffer head = Frames.encode(List.of(m));
        RequestOptions o = Wire.requestOptions(config, to, u, HttpMethod.POST, Wire.PATH_SNAPSHOT);
        o.putHeader(Wire.HDR_SNAPSHOT_SIZE, Long.toString(fileSize));
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
}
