package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Calls waiting for their log entry to be applied, by request ID. Every member applies every
 * entry, so IDs must be unique across the cluster and across restarts: etcd's idutil layout,
 * the member ID's low 16 bits, then the start time in milliseconds (40 bits), then a counter
 * (8 bits, carrying into the time), so an entry proposed by another member, or replayed
 * after a restart, never completes a call of this process.
 */
final class PendingRequests {
    private final ConcurrentHashMap<Long, Call> waiting = new ConcurrentHashMap<>();

    /** A waiting call: when it was proposed, and who led then (for etcd's timeout message). */
    private record Call(CompletableFuture<Object> future, long proposedAt, long leaderAtProposal) {}
    private final AtomicLong nextId;

    PendingRequests(long memberId) {
        long prefix = (memberId & 0xffffL) << 48;
        long time = (System.currentTimeMillis() & 0xffffffffffL) << 8;
        this.nextId = new AtomicLong(prefix | time);
    }

    long nextId() {
        return nextId.incrementAndGet();
    }

    CompletableFuture<Object> register(long id, long now, long leader) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        waiting.put(id, new Call(f, now, leader));
        return f;
    }

    /** Completes the call waiting for id, if this member has one (it proposed the entry). */
    void complete(long id, Object resultOrError) {
        Call c = waiting.remove(id);
        if (c == null) {
            return;
        }
        CompletableFuture<Object> f = c.future();
        if (resultOrError instanceof EtcdException e) {
            f.completeExceptionally(e);
        } else {
            f.complete(resultOrError);
        }
    }

    void fail(long id, EtcdError error) {
        Call c = waiting.remove(id);
        if (c != null) {
            c.future().completeExceptionally(error.exception());
        }
    }

    /**
     * Fails the calls proposed {@code timeoutNanos} or more before {@code now} with etcd's
     * request timeout ("possibly due to previous leader failure" when the leader changed since
     * the proposal); the entry may still be applied later, which the client must allow for.
     * Returns how many failed. One sweep of the in-flight calls, so proposing costs no timer.
     */
    int expire(long now, long timeoutNanos, long leaderNow) {
        int n = 0;
        for (var e : waiting.entrySet()) {
            Call c = e.getValue();
            if (now - c.proposedAt() >= timeoutNanos && waiting.remove(e.getKey(), c)) {
                c.future().completeExceptionally((leaderNow != c.leaderAtProposal()
                        ? EtcdError.TIMEOUT_DUE_TO_LEADER_FAIL : EtcdError.TIMEOUT).exception());
                n++;
            }
        }
        return n;
    }

    /** Fails every waiting call, e.g. when the member stops. */
    void failAll(EtcdError error) {
        waiting.keySet().forEach(id -> fail(id, error));
    }
}
