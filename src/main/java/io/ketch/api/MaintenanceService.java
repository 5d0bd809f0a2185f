package io.ketch.api;

import io.ketch.KetchMain;
import io.ketch.errors.EtcdError;
import io.ketch.alarm.AlarmStore;
import io.ketch.mvcc.HashResult;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.pb.internal.InternalRequest;
import java.util.concurrent.CompletableFuture;
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
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Inject;
import java.util.concurrent.Executor;

/** etcd's Maintenance service: what is built so far answers with true figures, the rest UNIMPLEMENTED. */
@GrpcService
public class MaintenanceService implements Maintenance {
    @Inject
    KetchServer server;

    /**
     * etcd's Status: every field etcd 3.5 fills. Errors: "no leader" while this member knows
     * none, then the raised alarms, each in etcd's text form.
     */
    @Override
    public Uni<StatusResponse> status(StatusRequest request) {
        return Uni.createFrom().item(() -> {
            StatusResponse.Builder b = StatusResponse.newBuilder()
                    .setHeader(server.header())
                    .setVersion(KetchMain.ETCD_API_VERSION)
                    .setDbSize(server.backend().sizeBytes())
                    .setDbSizeInUse(server.backend().sizeInUseBytes())
                    .setLeader(server.leader())
                    .setRaftIndex(server.raftIndex())
                    .setRaftTerm(server.raftTerm())
                    .setRaftAppliedIndex(server.appliedIndex())
                    .setIsLearner(server.isLearner());
            if (server.leader() == 0) {
                b.addErrors(EtcdError.NO_LEADER.message); // etcd 3.5 reports a missing leader here
            }
            for (AlarmMember m : server.alarms().get(AlarmType.NONE)) {
                b.addErrors(AlarmStore.describe(m));
            }
            return b.build();
        });
    }

    /** etcd's HashKV; it scans the key bucket, so it runs off the event loop. */
    @Override
    public Uni<HashKVResponse> hashKV(HashKVRequest request) {
        return Uni.createFrom().item(() -> {
                    HashResult h = server.store().hashByRev(request.getRevision());
                    return HashKVResponse.newBuilder()
                            .setHeader(server.header(h.currentRevision()))
                            .setHash(h.hash())
                            .setCompactRevision(h.compactRevision())
                            .setHashRevision(h.hashRevision())
                            .build();
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    /**
     * etcd's Alarm. GET lists the raised alarms (of one type, or all for NONE) from the
     * applied state; ACTIVATE and DEACTIVATE change state, so they go through the log. The
     * header is filled as etcd 3.5 fills it (etcd 3.4 sent none).
     */
    @Override
    public Uni<AlarmResponse> alarm(AlarmRequest request) {
        if (request.getAction() == AlarmRequest.AlarmAction.GET) {
            return Uni.createFrom().item(() -> AlarmResponse.newBuilder()
                    .setHeader(server.header())
                    .addAllAlarms(server.alarms().get(request.getAlarm()))
                    .build());
        }
        CompletableFuture<Object> f;
        try {
            f = server.propose(InternalRequest.newBuilder().setAlarm(request));
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return Uni.createFrom().completionStage(f)
                .onItem().transform(r -> ((AlarmResponse) r).toBuilder().setHeader(server.header()).build())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    /** etcd's Defragment; like etcd, the answer is empty (no header). */
    @Override
    public Uni<DefragmentResponse> defragment(DefragmentRequest request) {
        return Uni.createFrom().item(() -> {
                    server.defragment();
                    return DefragmentResponse.getDefaultInstance();
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<HashResponse> hash(HashRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Hash"));
    }

    @Override
    public Uni<MoveLeaderResponse> moveLeader(MoveLeaderRequest request) {
        Executor caller = CallContext.current();
        CompletableFuture<Void> f;
        try {
            f = server.moveLeader(request.getTargetID());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return Uni.createFrom().completionStage(f).emitOn(caller)
                .map(v -> MoveLeaderResponse.newBuilder().setHeader(server.header()).build())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<DowngradeResponse> downgrade(DowngradeRequest request) {
        return Uni.createFrom().failure(GrpcErrors.unimplemented("Maintenance.Downgrade"));
    }

    /**
     * etcd's Snapshot: a consistent copy of the store is written to a temporary file (off the
     * event loop), then streamed in chunks followed by its SHA-256; the file is deleted when
     * the stream ends, fails or is cancelled.
     */
    @Override
    public Multi<SnapshotResponse> snapshot(SnapshotRequest request) {
        return Multi.createFrom().resource(() -> {
                    try {
                        return new SnapshotChunks(server.exportSnapshot());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, chunks -> Multi.createFrom().iterable(() -> chunks))
                .withFinalizer(SnapshotChunks::close)
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .onFailure().transform(GrpcErrors::toStatus);
    }
}
