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
    private final ConcurrentHashMap<Long, CompletableFuture<Object>> waiting = new ConcurrentHashMap<>();
    private final AtomicLong nextId;

    PendingRequests(long memberId) {
        long prefix = (memberId & 0xffffL) << 48;
        long time = (System.currentTimeMillis() & 0xffffffffffL) << 8;
        this.nextId = new AtomicLong(prefix | time);
    }

    long nextId() {
        return nextId.incrementAndGet();
    }

    CompletableFuture<Object> register(long id) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        waiting.put(id, f);
        return f;
    }

    /** Completes the call waiting for id, if this member has one (it proposed the entry). */
    void complete(long id, Object resultOrError) {
        CompletableFuture<Object> f = waiting.remove(id);
        if (f == null) {
            return;
        }
        if (resultOrError instanceof EtcdException e) {
            f.completeExceptionally(e);
        } else {
            f.complete(resultOrError);
        }
    }

    void fail(long id, EtcdError error) {
        CompletableFuture<Object> f = waiting.remove(id);
        if (f != null) {
            f.completeExceptionally(error.exception());
        }
    }

    /** Fails every waiting call, e.g. when the member stops. */
    void failAll(EtcdError error) {
        waiting.keySet().forEach(id -> fail(id, error));
    }
}
