package io.ketch.api;

import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.Cluster;
import io.ketch.pb.etcdserver.Member;
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
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.server.KetchServer;
import io.ketch.server.MemberChangeResult;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * etcd's Cluster service: the member list and membership changes, each answered with the
 * member list once the change is applied on this member.
 */
@GrpcService
public class ClusterService implements Cluster {
    @Inject
    KetchServer server;

    @Override
    public Uni<MemberListResponse> memberList(MemberListRequest request) {
        return call(() -> server.memberList(request.getLinearizable(), CallContext.current()),
                members -> MemberListResponse.newBuilder().setHeader(header()).addAllMembers(members).build());
    }

    @Override
    public Uni<MemberAddResponse> memberAdd(MemberAddRequest request) {
        if (!validPeerUrls(request.getPeerURLsList())) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(EtcdError.MEMBER_BAD_URLS.exception()));
        }
        return call(() -> server.addMember(request.getPeerURLsList(), request.getIsLearner()),
                (MemberChangeResult r) -> MemberAddResponse.newBuilder().setHeader(header())
                        .setMember(Member.newBuilder().setID(r.added().getID()).addAllPeerURLs(r.added().getPeerURLsList())
                                .setIsLearner(r.added().getIsLearner()))
                        .addAllMembers(r.members()).build());
    }

    @Override
    public Uni<MemberRemoveResponse> memberRemove(MemberRemoveRequest request) {
        return call(() -> server.removeMember(request.getID()),
                (MemberChangeResult r) -> MemberRemoveResponse.newBuilder().setHeader(header()).addAllMembers(r.members()).build());
    }

    @Override
    public Uni<MemberUpdateResponse> memberUpdate(MemberUpdateRequest request) {
        return call(() -> server.updateMember(request.getID(), request.getPeerURLsList()),
                (MemberChangeResult r) -> MemberUpdateResponse.newBuilder().setHeader(header()).addAllMembers(r.members()).build());
    }

    @Override
    public Uni<MemberPromoteResponse> memberPromote(MemberPromoteRequest request) {
        return call(() -> server.promoteMember(request.getID()),
                (MemberChangeResult r) -> MemberPromoteResponse.newBuilder().setHeader(header()).addAllMembers(r.members()).build());
    }

    /** etcd's cluster headers carry no revision. */
    private ResponseHeader header() {
        return server.header().toBuilder().clearRevision().build();
    }

    /** Runs a server call and answers from the call's own context (it may complete on the apply thread). */
    private <T, R> Uni<R> call(Supplier<CompletableFuture<T>> start, Function<T, R> answer) {
        Executor caller = CallContext.current();
        CompletableFuture<T> f;
        try {
            f = start.get();
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return Uni.createFrom().completionStage(f).emitOn(caller).onItem().transform(answer)
                .onFailure().transform(GrpcErrors::toStatus);
    }

    /**
     * etcd's types.NewURLs: at least one URL, each scheme://host:port with scheme http, https,
     * unix or unixs and no path.
     */
    static boolean validPeerUrls(List<String> urls) {
        if (urls.isEmpty()) {
            return false;
        }
        for (String u : urls) {
            URI uri;
            try {
                uri = URI.create(u);
            } catch (IllegalArgumentException e) {
                return false;
            }
            String scheme = uri.getScheme();
            if (scheme == null || !List.of("http", "https", "unix", "unixs").contains(scheme)
                    || uri.getHost() == null || uri.getPort() < 0
                    || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
                return false;
            }
        }
        return true;
    }
}
