package io.ketch.api;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.Watch;
import io.ketch.pb.etcdserver.WatchRequest;
import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.server.KetchServer;
import io.ketch.watch.ResponseSink;
import io.ketch.watch.WatchStream;
import io.ketch.watch.WatchableStore;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import jakarta.inject.Inject;
import java.util.concurrent.Executor;

/**
 * etcd's Watch service: one bidirectional stream per call, carrying many watchers. The
 * protocol lives in {@link WatchStream}; this class connects it to the call: requests in,
 * responses out through the Mutiny emitter, sent on the call's own Vert.x context (so a
 * stream's responses leave from one place, in order, without blocking anyone), paused while
 * the transport is not ready.
 */
@GrpcService
@RegisterInterceptor(WatchCallInterceptor.class)
public class WatchService implements Watch {
    @Inject
    KetchServer server;

    @Override
    public Multi<WatchResponse> watch(Multi<WatchRequest> requests) {
        WatchableStore store = server.ready() ? server.watchable() : null;
        if (store == null) {
            return Multi.createFrom().failure(GrpcErrors.toStatus(EtcdError.STOPPED.exception()));
        }
        WatchCallInterceptor.CallFlow flow = WatchCallInterceptor.FLOW.get();
        Executor executor = CallContext.current();
        return Multi.createFrom().emitter(emitter -> {
            WatchStream stream;
            try {
                stream = store.openStream(new CallSink(emitter, flow), executor);
            } catch (RuntimeException e) {
                emitter.fail(GrpcErrors.toStatus(e));
                return;
            }
            if (flow != null) {
                flow.onReady(stream::onReady);
            }
            // a snapshot from the leader replaces the store this stream watches: end the call, so
            // the client resumes from its last revision on the new state (etcd's clients do)
            AutoCloseable replaced = server.onStateReplaced(() -> executor.execute(
                    () -> emitter.fail(GrpcErrors.toStatus(EtcdError.STOPPED.exception()))));
            emitter.onTermination(() -> {
                stream.close();
                try {
                    replaced.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // etcd keeps sending after the client half-closes; the stream ends when the call does
            requests.subscribe().with(stream::handle, failure -> stream.close(), () -> { });
        });
    }

    private static final class CallSink implements ResponseSink {
        private final MultiEmitter<? super WatchResponse> emitter;
        private final WatchCallInterceptor.CallFlow flow;

        CallSink(MultiEmitter<? super WatchResponse> emitter, WatchCallInterceptor.CallFlow flow) {
            this.emitter = emitter;
            this.flow = flow;
        }

        @Override
        public boolean isReady() {
            return flow == null || flow.isReady();
        }

        @Override
        public void send(WatchResponse response) {
            emitter.emit(response);
        }
    }
}
