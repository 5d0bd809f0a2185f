package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Calls waiting for their log entry to be applied, by request ID. IDs are unique across
 * restarts (they start from the wall clock in units of 2^-20 ms), so an entry replayed after
 * a restart can never complete a call of the new process.
 */
final class PendingRequests {
    private final ConcurrentHashMap<Long, CompletableFuture<Object>> waiting = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(System.currentTimeMillis() << 20);

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
