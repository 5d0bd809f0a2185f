package io.ketch.bench;

import io.grpc.stub.StreamObserver;
import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrpc;
import io.ketch.pb.etcdserver.LeaseKeepAliveRequest;
import io.ketch.pb.etcdserver.LeaseKeepAliveResponse;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import java.util.concurrent.TimeUnit;

/**
 * {@code ketch bench lease-keepalive}: each client grants its own lease, opens one keepalive
 * stream (as etcd clients keep leases alive) and sends one keepalive per request on it, the
 * next after the answer to the previous. An answer for another lease or with a TTL other than
 * the granted one counts as an error. Each client revokes its lease when it closes.
 */
final class LeaseKeepAliveWorkload implements Workload {
    static final long TTL_SECONDS = 600;
    private final long timeoutNanos;

    LeaseKeepAliveWorkload(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    static LeaseKeepAliveWorkload from(BenchOptions o) {
        return new LeaseKeepAliveWorkload(o.timeout().toNanos());
    }

    @Override
    public String title() {
        return "lease keepalive";
    }

    @Override
    public String details() {
        return "one lease and one stream per client";
    }

    @Override
    public Client newClient(Connection conn) {
        return new StreamClient(conn);
    }

    private final class StreamClient implements Client, StreamObserver<LeaseKeepAliveResponse> {
        private final Connection conn;
        private final long leaseId;
        private final LeaseKeepAliveRequest request;
        private final StreamObserver<LeaseKeepAliveRequest> stream;
        /** The request in flight; set before sending, taken by the answer (one at a time). */
        private volatile Completion inFlight;
        private volatile Throwable broken;

        StreamClient(Connection conn) {
            this.conn = conn;
            // unmeasured setup, on the thread creating the clients
            this.leaseId = LeaseGrpc.newBlockingStub(conn.channel())
                    .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
                    .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(TTL_SECONDS).build()).getID();
            this.request = LeaseKeepAliveRequest.newBuilder().setID(leaseId).build();
            this.stream = LeaseGrpc.newStub(conn.channel()).leaseKeepAlive(this);
        }

        @Override
        public void issue(long seq, Completion done) {
            Throwable b = broken;
            if (b != null) {
                done.failed(b);
                return;
            }
            inFlight = done;
            synchronized (stream) {
                stream.onNext(request);
            }
        }

        @Override
        public void onNext(LeaseKeepAliveResponse r) {
            Completion done = take();
            if (done == null) {
                return;
            }
            if (r.getID() != leaseId || r.getTTL() != TTL_SECONDS) {
                done.failed(new IllegalStateException("keepalive of " + leaseId + " answered ID " + r.getID()
                        + " TTL " + r.getTTL()));
            } else {
                done.succeeded();
            }
        }

        @Override
        public void onError(Throwable t) {
            broken = t;
            Completion done = take();
            if (done != null) {
                done.failed(t);
            }
        }

        @Override
        public void onCompleted() {
            onError(new IllegalStateException("the server closed the keepalive stream"));
        }

        private Completion take() {
            Completion done = inFlight;
            inFlight = null;
            return done;
        }

        @Override
        public void close() {
            if (broken == null) {
                broken = new IllegalStateException("closed");
                synchronized (stream) {
                    stream.onCompleted();
                }
            }
            try {
                LeaseGrpc.newBlockingStub(conn.channel()).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
                        .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(leaseId).build());
            } catch (RuntimeException e) {
                // best effort: the lease expires anyway
            }
        }
    }
}
