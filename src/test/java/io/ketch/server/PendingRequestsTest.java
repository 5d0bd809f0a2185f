package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class PendingRequestsTest {
    @Test
    void idsCarryTheMemberIdsLow16BitsSoMembersNeverShareOne() {
        PendingRequests a = new PendingRequests(0x1234_0000_0000_abcdL);
        PendingRequests b = new PendingRequests(0x1234_0000_0000_abceL);
        assertEquals(0xabcdL, a.nextId() >>> 48);
        assertEquals(0xabceL, b.nextId() >>> 48);
        assertNotEquals(a.nextId(), a.nextId());
    }

    @Test
    void callsPastTheTimeoutFailWithEtcdsTimeoutNamingALeaderChange() throws Exception {
        PendingRequests p = new PendingRequests(1);
        CompletableFuture<Object> old = p.register(1, 0, 7);
        CompletableFuture<Object> oldOtherLeader = p.register(2, 0, 8);
        CompletableFuture<Object> young = p.register(3, 900, 7);
        assertEquals(2, p.expire(1000, 1000, 7));
        assertSame(EtcdError.TIMEOUT, error(old));
        assertSame(EtcdError.TIMEOUT_DUE_TO_LEADER_FAIL, error(oldOtherLeader));
        assertFalse(young.isDone());
        p.complete(3, "applied");
        assertEquals("applied", young.get());
        p.complete(1, "too late"); // the entry applied after its call timed out: nothing to complete
    }

    private static EtcdError error(CompletableFuture<Object> f) throws InterruptedException {
        try {
            f.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            return ((EtcdException) e.getCause()).error;
        }
    }
}
