package io.ketch.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ketch.errors.EtcdException;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/** Turns failures into the gRPC statuses etcd clients expect. */
final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    static Throwable toStatus(Throwable t) {
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof EtcdException e) {
            return Status.fromCodeValue(e.error.grpcCode).withDescription(e.error.message).asRuntimeException();
        }
        if (t instanceof StatusRuntimeException) {
            return t;
        }
        LOG.error("unexpected error serving a request", t);
        return Status.INTERNAL.withDescription("ketch: " + t).asRuntimeException();
    }

    static StatusRuntimeException unimplemented(String rpc) {
        return Status.UNIMPLEMENTED.withDescription("ketch: " + rpc + " is not implemented yet").asRuntimeException();
    }
}
