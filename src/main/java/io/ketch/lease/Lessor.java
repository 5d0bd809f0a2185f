package io.ketch.lease;

import com.google.protobuf.ByteString;
import io.ketch.errors.EtcdError;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The leases of a member and their deadlines (etcd's lease.lessor), in memory. Pure: no
 * threads, no files, time from an injected monotonic clock, so tests drive it with a fake one.
 *
 * <p>Two kinds of callers:
 * <ul>
 * <li>The applier, in log order: {@link #grant}, {@link #attach}/{@link #detach} as keys are
 * written, {@link #revoked} once a revoke's key deletions are committed. These change what
 * leases exist and which keys they hold; every member makes the same changes.</li>
 * <li>The primary's duties, outside the log (etcd: the leader's lessor): {@link #promote}
 * starts the clocks, {@link #renew} (keepalive) pushes a deadline back, {@link #expired}
 * hands out leases whose deadline passed so that the server proposes their revocation.
 * Deadlines are not logged, as in etcd: after a restart every lease gets its full TTL again.</li>
 * </ul>
 *
 * <p>Invariants: every lease has exactly one expiry-queue entry while primary (none before);
 * a key is attached to at most one lease, and to a lease that exists; a lease whose deadline
 * has passed is never renewed again: it can only be revoked.
 *
 * <p>Thread-safety: every method is synchronized; none blocks or calls out while holding the
 * lock (revocation futures are completed after it is released).
 */
public final class Lessor {
    /** etcd's MaxLeaseTTL, in seconds. */
    public static final long MAX_LEASE_TTL = 9_000_000_000L;
    /** etcd's leaseRevokeRate: at most this many expired leases are revoked per second. */
    public static final int REVOKE_RATE = 1000;

    private static final long SECOND = 1_000_000_000L;
    private static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();

    /** The outcome of a keepalive. */
    public enum RenewStatus { RENEWED, NOT_FOUND, EXPIRED }

    /**
     * @param ttl     the TTL the lease was renewed to (RENEWED)
     * @param revoked completes once the lease is revoked (EXPIRED: etcd answers a keepalive of
     *                an expired lease only after its revocation, then as for an unknown lease)
     */
    public record Renewal(RenewStatus status, long ttl, CompletableFuture<Void> revoked) {}

    /** A lease as TimeToLive reports it. */
    public record LeaseStatus(long id, long remainingSeconds, long grantedTtl, List<ByteString> keys) {}

    private static final class Lease {
        final long id;
        final long ttl;
        /** Deadline on the lessor's time line; meaningless while {@code forever}. */
        long expiry;
        boolean forever = true;
        final Set<ByteString> keys = new HashSet<>();
        CompletableFuture<Void> revoked;

        Lease(long id, long ttl) {
            this.id = id;
            this.ttl = ttl;
        }
    }

    private final LongSupplier clock;
    private final long origin;
    private final long minTtl;
    private final long retryNanos;
    private final Map<Long, Lease> leases = new HashMap<>();
    private final Map<ByteString, Lease> leaseOfKey = new HashMap<>();
    private final ExpiryQueue queue = new ExpiryQueue();
    private boolean primary;

    /**
     * @param nanoClock       a monotonic clock in nanoseconds (System::nanoTime, or a fake)
     * @param minTtlSeconds   shorter TTLs are raised to this (see {@link #minTtlSeconds})
     * @param retryNanos      after a lease is handed out by {@link #expired}, how long until it
     *                        is handed out again if it still exists (its revoke got lost)
     */
    public Lessor(LongSupplier nanoClock, long minTtlSeconds, long retryNanos) {
        this.clock = nanoClock;
        // deadlines count from the lessor's creation so that now + MAX_LEASE_TTL never overflows
        this.origin = nanoClock.getAsLong();
        this.minTtl = minTtlSeconds;
        this.retryNanos = retryNanos;
    }

    /**
     * etcd's minimum lease TTL: 1.5 election timeouts in whole heartbeats, rounded up to a
     * second ({@code ceil(((3 * electionTicks) / 2) * heartbeat)}), 2 s with the defaults.
     */
    public static long minTtlSeconds(long heartbeatMs, long electionTimeoutMs) {
        long electionTicks = electionTimeoutMs / heartbeatMs;
        long minTtlMs = (3 * electionTicks) / 2 * heartbeatMs;
        return (minTtlMs + 999) / 1000;
    }

    private long now() {
        return clock.getAsLong() - origin;
    }

    public long minTtl() {
        return minTtl;
    }

    // ================================================================ applied from the log

    /**
     * Grants a lease (etcd's Grant, with its checks in its order). While primary its clock
     * starts now; before {@link #promote} it lives until promoted.
     *
     * @return the granted TTL: ttl raised to the minimum TTL
     * @throws io.ketch.errors.EtcdException LEASE_NOT_FOUND for ID 0, LEASE_TTL_TOO_LARGE,
     *         LEASE_EXIST
     */
    public synchronized long grant(long id, long ttl) {
        if (id == 0) {
            throw EtcdError.LEASE_NOT_FOUND.exception();
        }
        if (ttl > MAX_LEASE_TTL) {
            throw EtcdError.LEASE_TTL_TOO_LARGE.exception();
        }
        if (leases.containsKey(id)) {
            throw EtcdError.LEASE_EXIST.exception();
        }
        Lease l = new Lease(id, Math.max(ttl, minTtl));
        leases.put(id, l);
        if (primary) {
            refresh(l, 0, now());
        }
        return l.ttl;
    }

    /** Recreates a persisted lease at startup (TTL raised to today's minimum, as etcd). */
    public synchronized void restore(long id, long ttl) {
        Lease l = new Lease(id, Math.max(ttl, minTtl));
        leases.put(id, l);
        if (primary) {
            refresh(l, 0, now());
        }
    }

    public synchronized boolean exists(long id) {
        return leases.containsKey(id);
    }

    /** The number of leases. */
    public synchronized int size() {
        return leases.size();
    }

    /**
     * Attaches a key to a lease, detaching it from the lease it had. Lease 0 only detaches.
     *
     * @return false if the lease does not exist (the key is then attached to none)
     */
    public synchronized boolean attach(ByteString key, long id) {
        Lease old = leaseOfKey.remove(key);
        if (old != null) {
            old.keys.remove(key);
        }
        if (id == 0) {
            return true;
        }
        Lease l = leases.get(id);
        if (l == null) {
            return false;
        }
        l.keys.add(key);
        leaseOfKey.put(key, l);
        return true;
    }

    /** Detaches a (deleted) key from its lease, if it has one. */
    public synchronized void detach(ByteString key) {
        if (leaseOfKey.isEmpty()) {
            return;
        }
        Lease old = leaseOfKey.remove(key);
        if (old != null) {
            old.keys.remove(key);
        }
    }

    /** True if some key is attached to some lease (lets writers skip detaching). */
    public synchronized boolean hasAttachedKeys() {
        return !leaseOfKey.isEmpty();
    }

    /** The lease a key is attached to, 0 for none. */
    public synchronized long leaseOf(ByteString key) {
        Lease l = leaseOfKey.get(key);
        return l == null ? 0 : l.id;
    }

    /** The keys attached to a lease in byte order (the order a revoke deletes them in). */
    public synchronized List<ByteString> keys(long id) {
        Lease l = leases.get(id);
        if (l == null) {
            return List.of();
        }
        return sorted(l.keys);
    }

    /**
     * Forgets a lease whose keys the revoke has deleted (etcd's Revoke after its deletes):
     * keys still attached are detached; whoever waits for the revocation is released.
     */
    public void revoked(long id) {
        CompletableFuture<Void> waiting;
        synchronized (this) {
            Lease l = leases.remove(id);
            if (l == null) {
                return;
            }
            for (ByteString k : l.keys) {
                leaseOfKey.remove(k);
            }
            queue.remove(id);
            waiting = l.revoked;
        }
        if (waiting != null) {
            waiting.complete(null);
        }
    }

    // ================================================================ the primary's duties

    /**
     * Becomes primary (etcd's Promote): every lease's clock starts with its full TTL plus
     * {@code extendNanos}. With {@link #REVOKE_RATE} leases or more, deadlines that pile up
     * are spread so that at most 3/4 of the revoke rate expire in any second (etcd's rule).
     */
    public synchronized void promote(long extendNanos) {
        primary = true;
        long now = now();
        for (Lease l : leases.values()) {
            refresh(l, extendNanos, now);
        }
        if (leases.size() < REVOKE_RATE) {
            return;
        }
        List<Lease> byExpiry = new ArrayList<>(leases.values());
        byExpiry.sort(Comparator.comparingLong(l -> l.expiry));
        long baseWindow = byExpiry.get(0).expiry - now;
        long nextWindow = baseWindow + SECOND;
        long expires = 0;
        long targetPerSecond = (3L * REVOKE_RATE) / 4;
        for (Lease l : byExpiry) {
            long remaining = l.expiry - now;
            if (remaining > nextWindow) {
                baseWindow = remaining;
                nextWindow = baseWindow + SECOND;
                expires = 1;
                continue;
            }
            expires++;
            if (expires <= targetPerSecond) {
                continue;
            }
            double rateDelay = (double) SECOND * ((double) expires / (double) targetPerSecond);
            // leases extended by n seconds ahead of the base window are extended by one second only
            rateDelay -= (double) (remaining - baseWindow);
            long delay = (long) rateDelay;
            nextWindow = baseWindow + delay;
            refresh(l, delay + extendNanos, now);
        }
    }

    /**
     * Stops being primary (etcd's Demote), when this member loses leadership: deadlines no
     * longer count here (every lease lives "forever" until a leader promotes it again), so a
     * former leader never expires a lease another leader is keeping alive.
     */
    public synchronized void demote() {
        primary = false;
        for (Lease l : leases.values()) {
            l.forever = true;
        }
        queue.clear();
    }

    public synchronized boolean isPrimary() {
        return primary;
    }

    private void refresh(Lease l, long extendNanos, long now) {
        l.forever = false;
        l.expiry = now + extendNanos + l.ttl * SECOND;
        queue.schedule(l.id, l.expiry);
    }

    private static boolean expired(Lease l, long now) {
        return !l.forever && l.expiry - now <= 0;
    }

    /**
     * A keepalive (etcd's Renew): the lease's deadline becomes now + its TTL. A lease whose
     * deadline has passed is not renewed: it is being revoked.
     *
     * @throws IllegalStateException if not primary (a single member is, once started)
     */
    public synchronized Renewal renew(long id) {
        if (!primary) {
            throw new IllegalStateException("not the primary lessor");
        }
        Lease l = leases.get(id);
        if (l == null) {
            return new Renewal(RenewStatus.NOT_FOUND, 0, null);
        }
        long now = now();
        if (expired(l, now)) {
            if (l.revoked == null) {
                l.revoked = new CompletableFuture<>();
            }
            return new Renewal(RenewStatus.EXPIRED, 0, l.revoked);
        }
        refresh(l, 0, now);
        return new Renewal(RenewStatus.RENEWED, l.ttl, null);
    }

    /**
     * Leases whose deadline has passed, earliest first, at most {@code limit} (etcd's
     * findExpiredLeases). Each one handed out is not handed out again for the retry interval,
     * so a revoke in flight is not proposed twice, yet a lost one is retried.
     */
    public synchronized List<Long> expired(int limit) {
        List<Long> out = new ArrayList<>();
        if (!primary) {
            return out;
        }
        long now = now();
        while (out.size() < limit && !queue.isEmpty()) {
            long id = queue.peekId();
            if (queue.peekDeadline() - now > 0) {
                break;
            }
            queue.schedule(id, now + retryNanos);
            Lease l = leases.get(id);
            if (l != null && expired(l, now)) {
                out.add(id);
            }
        }
        return out;
    }

    /** TimeToLive: remaining whole seconds (truncated, as etcd), granted TTL, keys if asked; null if unknown. */
    public synchronized LeaseStatus timeToLive(long id, boolean withKeys) {
        Lease l = leases.get(id);
        if (l == null) {
            return null;
        }
        long remaining = l.forever ? Long.MAX_VALUE / SECOND : (l.expiry - now()) / SECOND;
        return new LeaseStatus(id, remaining, l.ttl, withKeys ? sorted(l.keys) : List.of());
    }

    /** Every lease's ID, soonest deadline first (etcd's Leases order). */
    public synchronized List<Long> leases() {
        List<Lease> all = new ArrayList<>(leases.values());
        all.sort(Comparator.<Lease>comparingInt(l -> l.forever ? 1 : 0).thenComparingLong(l -> l.expiry));
        List<Long> ids = new ArrayList<>(all.size());
        for (Lease l : all) {
            ids.add(l.id);
        }
        return ids;
    }

    private static List<ByteString> sorted(Set<ByteString> keys) {
        List<ByteString> out = new ArrayList<>(keys);
        out.sort(BYTES);
        return out;
    }
}
