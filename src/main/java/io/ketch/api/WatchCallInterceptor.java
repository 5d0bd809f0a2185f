package io.ketch.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Gives {@link WatchService} the transport's flow control, which the Mutiny interface hides
 * (it subscribes to the response stream with unbounded demand): the call's isReady() and its
 * onReady() events, handed over in the gRPC Context of the call. With them a watch stream
 * stops sending to a client that does not read, instead of buffering without bound.
 */
@ApplicationScoped
public class WatchCallInterceptor implements ServerInterceptor {
    static final Context.Key<CallFlow> FLOW = Context.key("ketch-watch-call-flow");

    /** The flow control of one call. */
    static final class CallFlow {
        private final ServerCall<?, ?> call;
        private volatile Runnable onReady = () -> { };

        CallFlow(ServerCall<?, ?> call) {
            this.call = call;
        }

        boolean isReady() {
            return call.isReady();
        }

        void onReady(Runnable r) {
            onReady = r;
        }

        private void fireReady() {
            onReady.run();
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        CallFlow flow = new CallFlow(call);
        Context context = Context.current().withValue(FLOW, flow);
        ServerCall.Listener<Q> listener = Contexts.interceptCall(context, call, headers, next);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onReady() {
                super.onReady();
                flow.fireReady();
            }
        };
    }
}
