package io.ketch.bench;

import io.grpc.ManagedChannel;
import io.ketch.pb.etcdserver.KVGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel (one HTTP/2 connection) to one endpoint, and the stubs workloads send on.
 * Workloads that need another service (Lease, Watch) build their stub on {@link #channel()}.
 */
public final class Connection {
    private final Endpoint endpoint;
    private final ManagedChannel channel;
    private final KVGrpc.KVStub kv;
    private final long timeoutNanos;

    Connection(Endpoint endpoint, ManagedChannel channel, Duration timeout) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.kv = KVGrpc.newStub(channel);
        this.timeoutNanos = timeout.toNanos();
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    public ManagedChannel channel() {
        return channel;
    }

    /** The KV stub with a deadline for one call, so that a stalled server ends the run with errors, not a hang. */
    public KVGrpc.KVStub kv() {
        return kv.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
    }
}
