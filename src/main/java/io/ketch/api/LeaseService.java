package io.ketch.api;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.Lease;
import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrantResponse;
import io.ketch.pb.etcdserver.LeaseKeepAliveRequest;
import io.ketch.pb.etcdserver.LeaseKeepAliveResponse;
import io.ketch.pb.etcdserver.LeaseLeasesRequest;
import io.ketch.pb.etcdserver.LeaseLeasesResponse;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import io.ketch.pb.etcdserver.LeaseRevokeResponse;
import io.ketch.pb.etcdserver.LeaseStatus;
import io.ketch.pb.etcdserver.LeaseTimeToLiveRequest;
import io.ketch.pb.etcdserver.LeaseTimeToLiveResponse;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.server.KetchServer;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's Lease service (v3rpc/lease.go with EtcdServer's Lease* methods). Grant and revoke
 * go through the log; keepalive, time-to-live and the lease list are answered by the lessor
 * in memory, as etcd's leader does (renewals are not logged).
 */
@GrpcService
public class LeaseService implements Lease {
    @Inject
    KetchServer server;

    @Override
    public Uni<LeaseGrantResponse> leaseGrant(LeaseGrantRequest request) {
        LeaseGrantRequest.Builder grant = request.toBuilder();
        if (grant.getID() == 0) {
            // chosen here, before proposing, so that the log entry (and any replay) carries it
            grant.setID(nextLeaseId());
        }
        return propose(InternalRequest.newBuilder().setLeaseGrant(grant), LeaseGrantResponse.class)
                .map(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
    }

    private long nextLeaseId() {
        return server.ready() ? server.nextLeaseId() : 0; // not ready: propose refuses anyway
    }

    @Override
    public Uni<LeaseRevokeResponse> leaseRevoke(LeaseRevokeRequest request) {
        return propose(InternalRequest.newBuilder().setLeaseRevoke(request), LeaseRevokeResponse.class)
                .map(r -> r.toBuilder().setHeader(header(r.getHeader())).build());
    }

    /**
     * One answer per request, in order. An unknown lease answers TTL 0 and the stream goes on
     * (etcd); a lease past its deadline is answered once its revocation is applied, also with
     * TTL 0, so a client never sees a successful renewal of a lease that then disappears.
     */
    @Override
    public Multi<LeaseKeepAliveResponse> leaseKeepAlive(Multi<LeaseKeepAliveRequest> requests) {
        return requests.onItem().transformToUniAndConcatenate(this::keepAlive);
    }

    private Uni<LeaseKeepAliveResponse> keepAlive(LeaseKeepAliveRequest request) {
        if (!server.ready()) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(EtcdError.STOPPED.exception()));
        }
        // the header is taken before renewing: its revision is not newer than the renewal (etcd)
        ResponseHeader header = server.header();
        return Uni.createFrom().completionStage(server.renewLease(request.getID()))
                .emitOn(CallContext.current())
                .map(ttl -> LeaseKeepAliveResponse.newBuilder().setID(request.getID()).setHeader(header).setTTL(ttl).build())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest request) {
        return Uni.createFrom().completionStage(() -> server.leaseTimeToLive(request))
                .emitOn(CallContext.current())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<LeaseLeasesResponse> leaseLeases(LeaseLeasesRequest request) {
        try {
            requireReady();
            LeaseLeasesResponse.Builder resp = LeaseLeasesResponse.newBuilder().setHeader(server.header());
            for (long id : server.leaseIds()) {
                resp.addLeases(LeaseStatus.newBuilder().setID(id));
            }
            return Uni.createFrom().item(resp.build());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    private void requireReady() {
        if (!server.ready()) {
            throw EtcdError.STOPPED.exception();
        }
    }

    private ResponseHeader header(ResponseHeader fromApplier) {
        return server.header(fromApplier.getRevision());
    }

    private <T> Uni<T> propose(InternalRequest.Builder request, Class<T> type) {
        CompletableFuture<Object> f;
        try {
            f = server.propose(request);
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return Uni.createFrom().completionStage(f).onItem().transform(type::cast)
                .onFailure().transform(GrpcErrors::toStatus);
    }
}
