package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.raft.ReadState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Linearizable read points through Raft's ReadIndex, as etcd's linearizableReadLoop: reads
 * that arrive while a confirmation round is in flight wait together and share the next round,
 * so one heartbeat round to a quorum serves any number of reads. A round must start after
 * the reads it answers arrived (the index it returns must cover every write acknowledged
 * before them), which is why a read never joins a round already in flight.
 *
 * <p>A round not answered within {@link #RETRY_NANOS} is sent again with a fresh context (the
 * request or its answer may have been lost); rounds fail with etcd's errors when this member
 * knows no leader, when leadership changes under them, or after the request timeout.
 * Thread-safe: callers on event loops, answers on the Raft thread, {@link #tick} on a timer.
 */
final class ReadIndexQueue {
    /** etcd's readIndexRetryTime. */
    static final long RETRY_NANOS = 500_000_000L;

    private final Consumer<byte[]> sendReadIndex;
    private final LongSupplier leader;
    private final LongSupplier nanoClock;
    private final long timeoutNanos;
    private List<CompletableFuture<Long>> waiting = new ArrayList<>();
    private Round inFlight;
    private long nextContext = 1;

    private static final class Round {
        final List<CompletableFuture<Long>> reads;
        final long startedAt;
        long context;
        long sentAt;

        Round(List<CompletableFuture<Long>> reads, long now) {
            this.reads = reads;
            this.startedAt = now;
        }
    }

    ReadIndexQueue(Consumer<byte[]> sendReadIndex, LongSupplier leader, LongSupplier nanoClock, long timeoutNanos) {
        this.sendReadIndex = sendReadIndex;
        this.leader = leader;
        this.nanoClock = nanoClock;
        this.timeoutNanos = timeoutNanos;
    }

    /** A read index that covers every write acknowledged before this call. */
    CompletableFuture<Long> readIndex() {
        if (leader.getAsLong() == 0) {
            return CompletableFuture.failedFuture(EtcdError.NO_LEADER.exception());
        }
        CompletableFuture<Long> f = new CompletableFuture<>();
        synchronized (this) {
            waiting.add(f);
            if (inFlight == null) {
                startRound();
            }
        }
        return f;
    }

    /** Raft's answers (Raft thread). */
    void answered(List<ReadState> states) {
        List<CompletableFuture<Long>> done = null;
        long index = 0;
        synchronized (this) {
            for (ReadState s : states) {
                if (inFlight != null && s.requestContext().size() == 8
                        && s.requestContext().asReadOnlyByteBuffer().getLong() == inFlight.context) {
                    done = inFlight.reads;
                    index = s.index();
                    inFlight = null;
                }
            }
            if (inFlight == null && !waiting.isEmpty()) {
                startRound();
            }
        }
        complete(done, index, null);
    }

    /** Leadership changed: the round in flight may never be answered (etcd's ErrLeaderChanged). */
    void leaderChanged() {
        failInFlight(EtcdError.LEADER_CHANGED);
    }

    /** Resends a round that took too long, and fails one past the request timeout. */
    void tick() {
        long now = nanoClock.getAsLong();
        synchronized (this) {
            if (inFlight == null) {
                return;
            }
            if (now - inFlight.startedAt < timeoutNanos) {
                if (now - inFlight.sentAt >= RETRY_NANOS) {
                    send(inFlight, now);
                }
                return;
            }
        }
        failInFlight(EtcdError.TIMEOUT);
    }

    /** Fails every read waiting or in flight (the member stops). */
    void failAll(EtcdError error) {
        List<CompletableFuture<Long>> all = new ArrayList<>();
        synchronized (this) {
            if (inFlight != null) {
                all.addAll(inFlight.reads);
                inFlight = null;
            }
            all.addAll(waiting);
            waiting = new ArrayList<>();
        }
        complete(all, 0, error);
    }

    private void failInFlight(EtcdError error) {
        List<CompletableFuture<Long>> failed;
        synchronized (this) {
            if (inFlight == null) {
                return;
            }
            failed = inFlight.reads;
            inFlight = null;
            if (!waiting.isEmpty()) {
                startRound();
            }
        }
        complete(failed, 0, error);
    }

    /** Holds this. */
    private void startRound() {
        long now = nanoClock.getAsLong();
        inFlight = new Round(waiting, now);
        waiting = new ArrayList<>();
        send(inFlight, now);
    }

    /** Holds this. */
    private void send(Round r, long now) {
        r.context = nextContext++;
        r.sentAt = now;
        sendReadIndex.accept(ByteBuffer.allocate(8).putLong(r.context).array());
    }

    private static void complete(List<CompletableFuture<Long>> reads, long index, EtcdError error) {
        if (reads == null) {
            return;
        }
        for (CompletableFuture<Long> f : reads) {
            if (error == null) {
                f.complete(index);
            } else {
                f.completeExceptionally(error.exception());
            }
        }
    }
}
