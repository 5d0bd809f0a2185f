package io.ketch.server;

import io.ketch.apply.Applier;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.ketch.raft.node.RaftNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Where and when a read is served, in one place. Serializable: from this member's applied
 * state at once. Linearizable: once a ReadIndex round ({@link ReadIndexQueue}) confirms the
 * read point and this member has applied up to it; a sole voter skips the round, since every
 * write it acknowledged was applied on it first. The read itself runs on the caller's
 * executor (the call's event loop), never on the Raft or apply thread.
 */
final class ReadPath {
    private final Applier applier;
    private final ReadIndexQueue readIndex;
    private final ApplyStage applyStage;
    private final RaftNode raft;
    /** Throws etcd's error when the member may not serve reads (stopped, CORRUPT alarm). */
    private final Runnable requireServing;

    ReadPath(Applier applier, ReadIndexQueue readIndex, ApplyStage applyStage, RaftNode raft,
             Runnable requireServing) {
        this.applier = applier;
        this.readIndex = readIndex;
        this.applyStage = applyStage;
        this.raft = raft;
        this.requireServing = requireServing;
    }

    CompletableFuture<RangeResponse> range(RangeRequest request, Executor caller) {
        return read(request.getSerializable(), () -> applier.range(request), caller);
    }

    /** A txn without writes; serializable only if all its ranges are (etcd's isTxnSerializable). */
    CompletableFuture<TxnResponse> readOnlyTxn(TxnRequest request, Executor caller) {
        return read(Applier.isSerializable(request), () -> applier.readOnlyTxn(request), caller);
    }

    /**
     * Completes (on {@code caller} when not at once) once this member has applied everything
     * committed before the call: the linearizable read rule, for reads of other state.
     */
    CompletableFuture<Void> barrier(Executor caller) {
        return read(false, () -> null, caller);
    }

    private <T> CompletableFuture<T> read(boolean serializable, Supplier<T> read, Executor caller) {
        try {
            requireServing.run();
            if (serializable || (raft.isLeader() && raft.isSoleVoter())) {
                return CompletableFuture.completedFuture(read.get());
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return readIndex.readIndex().thenCompose(applyStage::waitApplied).thenApplyAsync(v -> {
            requireServing.run();
            return read.get();
        }, caller);
    }
}
