package io.ketch.api;

import io.ketch.pb.etcdserver.Cluster;
import io.ketch.pb.etcdserver.MemberAddRequest;
import io.ketch.pb.etcdserver.MemberAddResponse;
import io.ketch.pb.etcdserver.MemberListRequest;
import io.ketch.pb.etcdserver.MemberListResponse;
import io.ketch.pb.etcdserver.MemberPromoteRequest;
import io.ketch.pb.etcdserver.MemberPromoteResponse;
import io.ketch.pb.etcdserver.MemberRemoveRequest;
import io.ketch.pb.etcdserver.MemberRemoveResponse;
import io.ketch.pb.etcdserver.MemberUpdateRequest;
import io.ketch.pb.etcdserver.MemberUpdateResponse;
import io.ketch.server.KetchServer;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;

/** etcd's Cluster service: the member list; membership changes come with the next issue. */
@GrpcService
public class ClusterService implements Cluster {
    @Inject
    KetchServer server;

    @Override
    public Uni<MemberListResponse> memberList(MemberListRequest request) {
        return Uni.createFrom().item(MemberListResponse.newBuilder()
                .setHeader(server.header().toBuilder().clearRevision()) // etcd's cluster headers carry no revision
                .addAllMembers(server.members())
                .build());
    }

    @Override
    public Uni<MemberAddResponse> memberAdd(MemberAddRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Cluster.MemberAdd"));
    }

    @Override
    public Uni<MemberRemoveResponse> memberRemove(MemberRemoveRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Cluster.MemberRemove"));
    }

    @Override
    public Uni<MemberUpdateResponse> memberUpdate(MemberUpdateRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Cluster.MemberUpdate"));
    }

    @Override
    public Uni<MemberPromoteResponse> memberPromote(MemberPromoteRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Cluster.MemberPromote"));
    }
}
