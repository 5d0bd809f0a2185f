package io.ketch.transport;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.pb.raft.Message;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.jboss.logging.Logger;

/**
 * Receives one snapshot request ({@code POST /raft/snapshot}): the message frame, then the data
 * into a temp file in the snapshot directory, fsynced before {@link PeerHandler#receiveSnapshot}
 * is handed the file. A failed or truncated transfer leaves no file behind.
 */
final class SnapshotReceiver {
    // The transport's log category, as before the split: log settings and tests name it.
    private static final Logger LOG = Logger.getLogger(PeerTransport.class);

    private final Vertx vertx;
    private final PeerHandler handler;
    private final HttpServerRequest req;
    private final String fromHex;
    private final Counter rx;
    private final Path tmp;
    private final AsyncFile file;
    private final Long expected;
    private Buffer head = Buffer.buffer();
    private Message msg;
    private long dataBytes;
    private boolean done;

    private SnapshotReceiver(Vertx vertx, PeerHandler handler, HttpServerRequest req, String fromHex, Counter rx,
            Path tmp, AsyncFile file, Long expected) {
        this.vertx = vertx;
        this.handler = handler;
        this.req = req;
        this.fromHex = fromHex;
        this.rx = rx;
        this.tmp = tmp;
        this.file = file;
        this.expected = expected;
    }

    /**
     * Takes an admitted snapshot request from {@code fromHex}: pauses it while the temp file is
     * created in {@code dir}, then receives it. {@code rx} counts the bytes (may be null).
     */
    static void accept(Vertx vertx, PeerHandler handler, Path dir, HttpServerRequest req, String fromHex, Counter rx) {
        Long expected = Wire.parseLong(req.getHeader(Wire.HDR_SNAPSHOT_SIZE));
        req.pause();
        vertx.<Path>executeBlocking(() -> {
            Files.createDirectories(dir);
            return Files.createTempFile(dir, "snap-from-" + fromHex + "-", ".part");
        }, false).compose(tmp -> vertx.fileSystem()
                .open(tmp.toString(), new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true))
                .map(f -> new SnapshotReceiver(vertx, handler, req, fromHex, rx, tmp, f, expected))
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

    private void start() {
        file.exceptionHandler(t -> fail(500, "writing the snapshot: " + t));
        req.exceptionHandler(t -> fail(0, "request failed: " + t));
        req.handler(this::chunk);
        req.endHandler(v -> end());
        req.resume();
    }

    private void chunk(Buffer b) {
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
            if (n < 0 || n > Frames.MAX_FRAME_BYTES) {
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

    private void end() {
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
    private void fail(int status, String why) {
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
}
