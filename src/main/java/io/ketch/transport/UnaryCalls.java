package io.ketch.transport;

import io.ketch.transport.PeerTransport.PeerCallException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * Both ends of {@code POST /raft/call/<method>}: the call with its timeout, and the answer from
 * {@link PeerHandler#call} (200 with its bytes, or 500 with the failure's message).
 */
final class UnaryCalls {
    private final Vertx vertx;
    /** The streams' client: a call shares the peer's one multiplexed connection. */
    private final HttpClient client;
    private final TransportConfig config;
    private final PeerHandler handler;

    UnaryCalls(Vertx vertx, HttpClient client, TransportConfig config, PeerHandler handler) {
        this.vertx = vertx;
        this.client = client;
        this.config = config;
        this.handler = handler;
    }

    /** Calls {@code method} on peer {@code peerId} at {@code u}; completes {@code result}. */
    void call(long peerId, URI u, String method, byte[] body, Duration timeout, CompletableFuture<byte[]> result) {
        HttpClientRequest[] inFlight = {null};
        long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
            if (result.completeExceptionally(new TimeoutException(
                    "call " + method + " to peer " + Wire.hex(peerId) + " timed out after " + timeout))) {
                if (inFlight[0] != null) {
                    inFlight[0].reset();
                }
            }
        });
        RequestOptions o = Wire.requestOptions(config, peerId, u, HttpMethod.POST, Wire.PATH_CALL + method);
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
    }

    /** Answers an admitted call request; the answer goes out on the request's own context. */
    void serve(HttpServerRequest req, String method) {
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
                    Throwable c = err instanceof CompletionException && err.getCause() != null
                            ? err.getCause() : err;
                    resp.setStatusCode(500).putHeader("content-type", "text/plain; charset=utf-8")
                            .end(String.valueOf(c.getMessage()));
                }
            }));
        });
    }
}
