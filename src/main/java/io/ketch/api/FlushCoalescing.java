package io.ketch.api;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Coalesces socket flushes on every client connection, as grpc-go's writer does for etcd.
 *
 * <p>Vert.x's HTTP/2 handler flushes after each frame written outside a read, and a unary gRPC
 * response is three frames (headers, message, trailers); responses are written from tasks on
 * the connection's event loop (see {@link CallContext}), so each response cost three
 * {@code writev} calls. Netty's {@link FlushConsolidationHandler} turns the flushes of one
 * event-loop turn into one, so a batch of responses leaves in one system call. It is added
 * once per connection, by the first request seen on it, on the connection's event loop.
 */
@ApplicationScoped
public class FlushCoalescing {
    static final String HANDLER = "ketch-flush-coalescing";
    /** Flush at once after this many deferred flushes (Netty's default), bounding the delay. */
    private static final int MAX_DEFERRED_FLUSHES = 256;

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(rc -> {
            install(rc.request().connection());
            rc.next();
        });
    }

    static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channel().pipeline();
            if (pipeline.get(HANDLER) == null) {
                pipeline.addFirst(HANDLER, new FlushConsolidationHandler(MAX_DEFERRED_FLUSHES, true));
            }
        }
    }
}
