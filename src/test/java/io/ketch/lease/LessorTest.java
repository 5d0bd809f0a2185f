package io.ketch.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lessor on a fake clock: every deadline is exact, nothing sleeps. */
class LessorTest {
    private static final long RETRY = TimeUnit.SECONDS.toNanos(7);
    // a start near the top of the long range: deadlines must not overflow
    private final FakeClock clock = new FakeClock(Long.MAX_VALUE - 1_000_000_000L);
    private final Lessor lessor = new Lessor(clock, 2, RETRY);

    private static ByteString k(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static EtcdError errorOf(Runnable r) {
        return assertThrows(EtcdException.class, r::run).error;
    }

    @Test
    void minimumTtlIsEtcdsOneAndAHalfElectionTimeoutsRoundedUpToSeconds() {
        assertEquals(2, Lessor.minTtlSeconds(100, 1000)); // etcd's defaults: 15 ticks * 100 ms = 1.5 s -> 2
        assertEquals(1, Lessor.minTtlSeconds(10, 100));
        assertEquals(8, Lessor.minTtlSeconds(500, 5000)); // 7.5 s -> 8
        assertEquals(2, Lessor.minTtlSeconds(100, 1050)); // 10 whole ticks
    }

    @Test
    void grantRaisesShortTtlsToTheMinimumAndChecksLikeEtcd() {
        lessor.promote(0);
        assertEquals(2, lessor.grant(1, 1));
        assertEquals(2, lessor.grant(2, -5));
        assertEquals(60, lessor.grant(3, 60));
        assertEquals(Lessor.MAX_LEASE_TTL, lessor.grant(4, Lessor.MAX_LEASE_TTL));
        assertEquals(EtcdError.LEASE_TTL_TOO_LARGE, errorOf(() -> lessor.grant(5, Lessor.MAX_LEASE_TTL + 1)));
        assertEquals(EtcdError.LEASE_EXIST, errorOf(() -> lessor.grant(3, 10)));
        assertEquals(EtcdError.LEASE_NOT_FOUND, errorOf(() -> lessor.grant(0, 10)));
        // the TTL check comes before the existence check, as in etcd
        assertEquals(EtcdError.LEASE_TTL_TOO_LARGE, errorOf(() -> lessor.grant(3, Lessor.MAX_LEASE_TTL + 1)));
        assertFalse(lessor.exists(5));
        assertEquals(4, lessor.size());
        assertEquals(60, lessor.timeToLive(3, false).grantedTtl(), "a failed grant changed nothing");
    }

    @Test
    void aLeaseExpiresExactlyAtItsDeadline() {
        lessor.promote(0);
        lessor.grant(1, 10);
        clock.advance(10_000_000_000L - 1, TimeUnit.NANOSECONDS);
        assertEquals(List.of(), lessor.expired(100));
        assertEquals(0, lessor.timeToLive(1, false).remainingSeconds(), "0.000000001 s truncates to 0, as etcd");
        clock.advance(1, TimeUnit.NANOSECONDS);
        assertEquals(List.of(1L), lessor.expired(100));
    }

    @Test
    void timeToLiveTruncatesRemainingSecondsAndListsKeysInByteOrder() {
        lessor.promote(0);
        lessor.grant(1, 10);
        clock.advanceMillis(2500);
        lessor.attach(k("b"), 1);
        lessor.attach(k("a"), 1);
        lessor.attach(k("\u00ff"), 1);
        Lessor.LeaseStatus s = lessor.timeToLive(1, true);
        assertEquals(7, s.remainingSeconds());
        assertEquals(10, s.grantedTtl());
        assertEquals(List.of(k("a"), k("b"), k("\u00ff")), s.keys());
        assertEquals(List.of(), lessor.timeToLive(1, false).keys());
        assertNull(lessor.timeToLive(2, true));
    }

    @Test
    void renewPushesTheDeadlineBackByTheFullTtl() {
        lessor.promote(0);
        lessor.grant(1, 10);
        clock.advanceSeconds(9);
        Lessor.Renewal r = lessor.renew(1);
        assertEquals(Lessor.RenewStatus.RENEWED, r.status());
        assertEquals(10, r.ttl());
        clock.advanceSeconds(9);
        assertEquals(List.of(), lessor.expired(10), "renewed 9 s ago with a 10 s TTL");
        assertEquals(1, lessor.timeToLive(1, false).remainingSeconds());
        clock.advanceSeconds(1);
        assertEquals(List.of(1L), lessor.expired(10));
    }

    @Test
    void renewOfAnUnknownLeaseIsNotFound() {
        lessor.promote(0);
        assertEquals(Lessor.RenewStatus.NOT_FOUND, lessor.renew(77).status());
    }

    @Test
    void anExpiredLeaseIsNeverRenewedAndItsKeepaliveWaitsForTheRevoke() {
        lessor.promote(0);
        lessor.grant(1, 3);
        clock.advanceSeconds(3);
        Lessor.Renewal r = lessor.renew(1);
        assertEquals(Lessor.RenewStatus.EXPIRED, r.status());
        CompletableFuture<Void> revoked = r.revoked();
        assertFalse(revoked.isDone());
        assertEquals(List.of(1L), lessor.expired(10), "still handed out for revocation");
        lessor.revoked(1);
        assertTrue(revoked.isDone());
        assertEquals(Lessor.RenewStatus.NOT_FOUND, lessor.renew(1).status());
    }

    @Test
    void anExpiredLeaseIsHandedOutAgainOnlyAfterTheRetryInterval() {
        lessor.promote(0);
        lessor.grant(1, 2);
        clock.advanceSeconds(2);
        assertEquals(List.of(1L), lessor.expired(10));
        assertEquals(List.of(), lessor.expired(10), "its revoke is in flight");
        clock.advance(RETRY - 1, TimeUnit.NANOSECONDS);
        assertEquals(List.of(), lessor.expired(10));
        clock.advance(1, TimeUnit.NANOSECONDS);
        assertEquals(List.of(1L), lessor.expired(10), "the revoke got lost: retry");
        lessor.revoked(1);
        clock.advance(RETRY, TimeUnit.NANOSECONDS);
        assertEquals(List.of(), lessor.expired(10));
    }

    @Test
    void expiredHandsOutEarliestFirstUpToTheLimit() {
        lessor.promote(0);
        lessor.grant(3, 30);
        lessor.grant(1, 10);
        lessor.grant(2, 20);
        lessor.grant(4, 40);
        clock.advanceSeconds(35);
        assertEquals(List.of(1L, 2L), lessor.expired(2));
        assertEquals(List.of(3L), lessor.expired(2));
        assertEquals(List.of(4L, 3L, 2L, 1L).size(), lessor.leases().size());
    }

    @Test
    void leasesAreListedSoonestDeadlineFirst() {
        lessor.promote(0);
        lessor.grant(1, 30);
        lessor.grant(2, 10);
        lessor.grant(3, 12);
        assertEquals(List.of(2L, 3L, 1L), lessor.leases());
        clock.advanceSeconds(5);
        lessor.renew(2); // deadline 15 s, after lease 3's 12 s
        assertEquals(List.of(3L, 2L, 1L), lessor.leases());
    }

    @Test
    void beforePromotionLeasesLiveForeverAndPromotionGivesEveryOneItsFullTtlPlusTheExtension() {
        lessor.restore(1, 10);
        lessor.grant(2, 5);
        clock.advanceSeconds(100);
        assertEquals(List.of(), lessor.expired(10), "not primary: nothing expires");
        assertEquals(Long.MAX_VALUE / 1_000_000_000L, lessor.timeToLive(1, false).remainingSeconds());
        assertThrows(IllegalStateException.class, () -> lessor.renew(1));
        lessor.promote(TimeUnit.SECONDS.toNanos(1));
        assertEquals(11, lessor.timeToLive(1, false).remainingSeconds());
        assertEquals(6, lessor.timeToLive(2, false).remainingSeconds());
        clock.advanceSeconds(6);
        assertEquals(List.of(2L), lessor.expired(10));
        clock.advanceSeconds(5);
        assertEquals(List.of(1L), lessor.expired(10));
    }

    @Test
    void restoreRaisesAPersistedTtlToTodaysMinimum() {
        Lessor strict = new Lessor(clock, 8, RETRY);
        strict.restore(1, 3);
        assertEquals(8, strict.timeToLive(1, false).grantedTtl());
    }

    @Test
    void promotionSpreadsAPileUpOfExpiriesToThreeQuartersOfTheRevokeRate() {
        int n = 3000;
        for (int i = 1; i <= n; i++) {
            lessor.restore(i, 10);
        }
        lessor.promote(0);
        // all 3000 would expire at 10 s; at most 750 may expire in any one-second window
        long[] perSecond = new long[20];
        for (int i = 1; i <= n; i++) {
            long remaining = lessor.timeToLive(i, false).remainingSeconds();
            assertTrue(remaining >= 10, "never earlier than its TTL: " + remaining);
            perSecond[(int) remaining]++;
        }
        for (long c : perSecond) {
            assertTrue(c <= 750, "per second: " + java.util.Arrays.toString(perSecond));
        }
        // and every lease still expires eventually
        clock.advanceSeconds(20);
        int expired = 0;
        List<Long> batch;
        while (!(batch = lessor.expired(500)).isEmpty()) {
            expired += batch.size();
            batch.forEach(lessor::revoked);
        }
        assertEquals(n, expired);
    }

    @Test
    void aKeyBelongsToOneLeaseAtATime() {
        lessor.promote(0);
        lessor.grant(1, 10);
        lessor.grant(2, 10);
        assertTrue(lessor.attach(k("a"), 1));
        assertEquals(1, lessor.leaseOf(k("a")));
        assertTrue(lessor.attach(k("a"), 2), "re-put with another lease moves it");
        assertEquals(List.of(), lessor.keys(1));
        assertEquals(List.of(k("a")), lessor.keys(2));
        assertTrue(lessor.attach(k("a"), 0), "a put without a lease detaches it");
        assertEquals(List.of(), lessor.keys(2));
        assertEquals(0, lessor.leaseOf(k("a")));
        lessor.attach(k("b"), 2);
        lessor.detach(k("b"));
        assertEquals(List.of(), lessor.keys(2));
        assertFalse(lessor.hasAttachedKeys());
    }

    @Test
    void attachingToAMissingLeaseLeavesTheKeyDetached() {
        lessor.promote(0);
        lessor.grant(1, 10);
        lessor.attach(k("a"), 1);
        assertFalse(lessor.attach(k("a"), 9));
        assertEquals(0, lessor.leaseOf(k("a")));
        assertEquals(List.of(), lessor.keys(1));
    }

    @Test
    void revokedForgetsTheLeaseItsKeysAndItsDeadline() {
        lessor.promote(0);
        lessor.grant(1, 10);
        lessor.attach(k("a"), 1);
        lessor.revoked(1);
        assertFalse(lessor.exists(1));
        assertEquals(0, lessor.leaseOf(k("a")));
        clock.advanceSeconds(100);
        assertEquals(List.of(), lessor.expired(10));
        lessor.revoked(1); // twice: nothing
        assertEquals(0, lessor.size());
    }

    @Test
    void manyRenewalsKeepOneQueueEntryPerLease() {
        lessor.promote(0);
        List<Long> ids = new ArrayList<>();
        for (long i = 1; i <= 100; i++) {
            lessor.grant(i, 5);
            ids.add(i);
        }
        for (int round = 0; round < 50; round++) {
            clock.advanceSeconds(1);
            for (long id : ids) {
                assertNotNull(lessor.renew(id));
            }
        }
        assertEquals(List.of(), lessor.expired(1000));
        clock.advanceSeconds(5);
        assertEquals(100, lessor.expired(1000).size(), "each lease exactly once");
    }
}
