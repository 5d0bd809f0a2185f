package io.ketch.bench;

import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrantResponse;
import io.ketch.pb.etcdserver.LeaseGrpc;
import java.util.concurrent.TimeUnit;

/**
 * {@code ketch bench lease-grant}: one LeaseGrant per request, server-chosen ID. The TTL is
 * an hour so that no lease expires (and no revocation competes) during the run; an answer
 * without an ID or with another TTL counts as an error.
 */
final class LeaseGrantWorkload implements Workload {
    static final long TTL_SECONDS = 3600;
    private final long timeoutNanos;

    LeaseGrantWorkload(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    static LeaseGrantWorkload from(BenchOptions o) {
        return new LeaseGrantWorkload(o.timeout().toNanos());
    }

    @Override
    public String title() {
        return "lease grant";
    }

    @Override
    public String details() {
        return "TTL " + TTL_SECONDS + " s, server-chosen IDs";
    }

    @Override
    public Client newClient(Connection conn) {
        LeaseGrpc.LeaseStub lease = LeaseGrpc.newStub(conn.channel());
        LeaseGrantRequest request = LeaseGrantRequest.newBuilder().setTTL(TTL_SECONDS).build();
        return (seq, done) -> lease.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).leaseGrant(request,
                UnaryObserver.<LeaseGrantResponse>checking(done, r -> {
                    if (r.getID() == 0 || r.getTTL() != TTL_SECONDS) {
                        throw new IllegalStateException("grant answered ID " + r.getID() + " TTL " + r.getTTL());
                    }
                }));
    }
}
