package io.ketch.api;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.StatusRequest;
import io.ketch.server.KetchServer;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * What a learner serves, as etcd's interceptors decide it: a learner receives the log but
 * is not part of any quorum, so it answers only Status and serializable Range; every other
 * call gets etcd's {@code etcdserver: rpc not supported for learner}. Beyond etcd 3.4 (which
 * refuses every stream on a learner), Watch streams are served: a learner's watch is as good
 * as a follower's, from its own applied state.
 */
@GlobalInterceptor
@ApplicationScoped
public class LearnerInterceptor implements ServerInterceptor {
    private static final String WATCH = "etcdserverpb.Watch/Watch";

    @Inject
    KetchServer server;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!server.isLearner()) {
            return next.startCall(call, headers);
        }
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        if (method.getType() != MethodDescriptor.MethodType.UNARY) {
            if (method.getFullMethodName().equals(WATCH)) {
                return next.startCall(call, headers);
            }
            call.close(refusal(), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (supported(message)) {
                    super.onMessage(message);
                } else {
                    refused = true;
                    call.close(refusal(), new Metadata());
                }
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    /** etcd's isRPCSupportedForLearner. */
    private static boolean supported(Object request) {
        return request instanceof StatusRequest || (request instanceof RangeRequest r && r.getSerializable());
    }

    private static Status refusal() {
        EtcdError e = EtcdError.NOT_SUPPORTED_FOR_LEARNER;
        return Status.fromCodeValue(e.grpcCode).withDescription(e.message);
    }
}
