package io.ketch.api;

import io.ketch.KetchMain;
import io.ketch.mvcc.HashResult;
import io.ketch.pb.etcdserver.AlarmRequest;
import io.ketch.pb.etcdserver.AlarmResponse;
import io.ketch.pb.etcdserver.DefragmentRequest;
import io.ketch.pb.etcdserver.DefragmentResponse;
import io.ketch.pb.etcdserver.DowngradeRequest;
import io.ketch.pb.etcdserver.DowngradeResponse;
import io.ketch.pb.etcdserver.HashKVRequest;
import io.ketch.pb.etcdserver.HashKVResponse;
import io.ketch.pb.etcdserver.HashRequest;
import io.ketch.pb.etcdserver.HashResponse;
import io.ketch.pb.etcdserver.Maintenance;
import io.ketch.pb.etcdserver.MoveLeaderRequest;
import io.ketch.pb.etcdserver.MoveLeaderResponse;
import io.ketch.pb.etcdserver.SnapshotRequest;
import io.ketch.pb.etcdserver.SnapshotResponse;
import io.ketch.pb.etcdserver.StatusRequest;
import io.ketch.pb.etcdserver.StatusResponse;
import io.ketch.server.KetchServer;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;

/** etcd's Maintenance service: what is built so far answers with true figures, the rest UNIMPLEMENTED. */
@GrpcService
public class MaintenanceService implements Maintenance {
    @Inject
    KetchServer server;

    @Override
    public Uni<StatusResponse> status(StatusRequest request) {
        return Uni.createFrom().item(() -> StatusResponse.newBuilder()
                .setHeader(server.header())
                .setVersion(KetchMain.ETCD_API_VERSION)
                .setDbSize(server.backend().sizeBytes())
                .setDbSizeInUse(server.backend().sizeInUseBytes())
                .setLeader(server.leader())
                .setRaftIndex(server.raftIndex())
                .setRaftTerm(server.raftTerm())
                .setRaftAppliedIndex(server.appliedIndex())
                .setIsLearner(false)
                .build());
    }

    @Override
    public Uni<HashKVResponse> hashKV(HashKVRequest request) {
        try {
            HashResult h = server.store().hashByRev(request.getRevision());
            return Uni.createFrom().item(HashKVResponse.newBuilder()
                    .setHeader(server.header(h.currentRevision()))
                    .setHash(h.hash())
                    .setCompactRevision(h.compactRevision())
                    .setHashRevision(h.hashRevision())
                    .build());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    /** No alarm can be raised yet (the space quota arrives with the Maintenance issue), so the list is truly empty. */
    @Override
    public Uni<AlarmResponse> alarm(AlarmRequest request) {
        if (request.getAction() == AlarmRequest.AlarmAction.GET) {
            return Uni.createFrom().item(AlarmResponse.newBuilder().setHeader(server.header()).build());
        }
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Alarm " + request.getAction()));
    }

    @Override
    public Uni<DefragmentResponse> defragment(DefragmentRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Defragment"));
    }

    @Override
    public Uni<HashResponse> hash(HashRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Hash"));
    }

    @Override
    public Uni<MoveLeaderResponse> moveLeader(MoveLeaderRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.MoveLeader"));
    }

    @Override
    public Uni<DowngradeResponse> downgrade(DowngradeRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Downgrade"));
    }

    @Override
    public Multi<SnapshotResponse> snapshot(SnapshotRequest request) {
        return Multi.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Snapshot"));
    }
}
