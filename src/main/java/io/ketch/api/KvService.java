package io.ketch.api;

import io.ketch.apply.Applier;
import io.ketch.apply.KvRequestValidator;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.CompactionResponse;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.DeleteRangeResponse;
import io.ketch.pb.etcdserver.KV;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.PutResponse;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.server.KetchServer;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;

/**
 * etcd's KV service. Requests are checked here (etcd's v3rpc checks) so bad input never
 * reaches the log; mutations go through Raft and the apply stage, reads are served locally.
 */
@GrpcService
public class KvService implements KV {
    @Inject
    KetchServer server;

    @Override
    public Uni<RangeResponse> range(RangeRequest request) {
        CompletableFuture<RangeResponse> f;
        try {
            KvRequestValidator.checkRange(request);
            f = server.range(request, CallContext.current());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return Uni.createFrom().completionStage(f)
                .map(r -> r.toBuilder().setHeader(server.header(r.getHeader().getRevision())).build())
                .onFailure().transform(GrpcErrors::toStatus);
    }

    @Override
    public Uni<PutResponse> put(PutRequest request) {
        return propose(() -> KvRequestValidator.checkPut(request),
                InternalRequest.newBuilder().setPut(request), PutResponse.class)
                .map(r -> r.toBuilder().setHeader(server.header(r.getHeader().getRevision())).build());
    }

    @Override
    public Uni<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
        return propose(() -> KvRequestValidator.checkDeleteRange(request),
                InternalRequest.newBuilder().setDeleteRange(request), DeleteRangeResponse.class)
                .map(r -> r.toBuilder().setHeader(server.header(r.getHeader().getRevision())).build());
    }

    @Override
    public Uni<TxnResponse> txn(TxnRequest request) {
        if (Applier.isReadOnly(request)) {
            // Nothing to log: served by the server's read path, like a range.
            CompletableFuture<TxnResponse> f;
            try {
                KvRequestValidator.checkTxn(request, server.config().maxTxnOps());
                f = server.readOnlyTxn(request, CallContext.current());
            } catch (RuntimeException e) {
                return Uni.createFrom().failure(GrpcErrors.toStatus(e));
            }
            return Uni.createFrom().completionStage(f)
                    .map(r -> r.toBuilder().setHeader(server.header(r.getHeader().getRevision())).build())
                    .onFailure().transform(GrpcErrors::toStatus);
        }
        return propose(() -> KvRequestValidator.checkTxn(request, server.config().maxTxnOps()),
                InternalRequest.newBuilder().setTxn(request), TxnResponse.class)
                .map(r -> r.toBuilder().setHeader(server.header(r.getHeader().getRevision())).build());
    }

    @Override
    public Uni<CompactionResponse> compact(CompactionRequest request) {
        return propose(() -> { }, InternalRequest.newBuilder().setCompaction(request), CompactionResponse.class)
                .map(r -> r.toBuilder().setHeader(server.header(r.getHeader().getRevision())).build());
    }

    private <T> Uni<T> propose(Runnable check, InternalRequest.Builder request, Class<T> type) {
        CompletableFuture<Object> f;
        try {
            check.run();
            f = server.propose(request);
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        // completes on the apply thread: answer from the call's own context (see CallContext)
        return Uni.createFrom().completionStage(f).emitOn(CallContext.current()).onItem().transform(type::cast)
                .onFailure().transform(GrpcErrors::toStatus);
    }
}
