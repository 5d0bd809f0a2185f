package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.lease.Lessor;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import io.ketch.pb.internal.InternalRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Revokes expired leases the way every other mutation happens: it asks the lessor which
 * leases are past their deadline and proposes a LeaseRevoke for each (etcd: the leader's
 * revokeExpiredLeases). The applier then deletes the attached keys in one revision, so
 * watchers see the deletions and replay after a crash repeats them. A revoke that loses a
 * race with a client's revoke fails with "lease not found" and changes nothing; one that is
 * lost is proposed again after the lessor's retry interval.
 *
 * <p>One timer thread, every {@link #INTERVAL_MS} ms (etcd's lessor loop period), at most
 * {@link Lessor#REVOKE_RATE}/2 leases per pass (etcd's rate limit).
 */
final class LeaseExpiryLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LeaseExpiryLoop.class);
    static final long INTERVAL_MS = 500;

    private final Lessor lessor;
    private final Function<InternalRequest.Builder, CompletableFuture<Object>> propose;
    private final ScheduledExecutorService timer;

    LeaseExpiryLoop(Lessor lessor, Function<InternalRequest.Builder, CompletableFuture<Object>> propose) {
        this.lessor = lessor;
        this.propose = propose;
        this.timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ketch-lease-expiry"));
    }

    void start() {
        timer.scheduleWithFixedDelay(this::revokeExpiredSafely, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    private void revokeExpiredSafely() {
        try {
            revokeExpired();
        } catch (RuntimeException e) {
            // never let an exception cancel the periodic task
            LOG.error("lease expiry pass failed", e);
        }
    }

    /** One pass: proposes the revocation of every expired lease (without waiting for them). */
    void revokeExpired() {
        for (long id : lessor.expired(Lessor.REVOKE_RATE / 2)) {
            revoke(id);
        }
    }

    private void revoke(long id) {
        propose.apply(InternalRequest.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(id)))
                .whenComplete((r, e) -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause != null && !(cause instanceof EtcdException ee && ee.error == EtcdError.LEASE_NOT_FOUND)) {
                        LOG.warnf("failed to revoke expired lease %016x: %s (retried later)", id, cause);
                    }
                });
    }

    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        timer.awaitTermination(5, TimeUnit.SECONDS);
    }
}
