package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.raft.ReadState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** ReadIndexQueue against a fake Raft node: every context sent is recorded and answered by hand. */
class ReadIndexQueueTest {
    private final List<ByteString> sent = new ArrayList<>();
    private long leader = 7;
    private long now;
    private final ReadIndexQueue queue = new ReadIndexQueue(ctx -> sent.add(ByteString.copyFrom(ctx)), () -> leader,
            () -> now, TimeUnit.SECONDS.toNanos(7));

    private void answer(int round, long index) {
        queue.answered(List.of(new ReadState(index, sent.get(round))));
    }

    @Test
    void readsArrivingDuringARoundShareTheNextRoundNotTheCurrentOne() throws Exception {
        CompletableFuture<Long> first = queue.readIndex();
        CompletableFuture<Long> second = queue.readIndex();
        CompletableFuture<Long> third = queue.readIndex();
        assertEquals(1, sent.size(), "one round in flight for the first read; the others wait");
        answer(0, 10);
        assertEquals(10, first.get());
        assertFalse(second.isDone(), "a read that arrived after the round started must not use its index");
        assertEquals(2, sent.size(), "the waiting reads share one new round");
        answer(1, 12);
        assertEquals(12, second.get());
        assertEquals(12, third.get());
        assertEquals(2, sent.size());
    }

    @Test
    void anAnswerToAnotherContextCompletesNothing() {
        CompletableFuture<Long> read = queue.readIndex();
        queue.answered(List.of(new ReadState(5, ByteString.copyFromUtf8("someone else"))));
        assertFalse(read.isDone());
    }

    @Test
    void withoutALeaderAReadFailsAtOnceWithNoLeader() {
        leader = 0;
        assertError(EtcdError.NO_LEADER, queue.readIndex());
        assertTrue(sent.isEmpty());
    }

    @Test
    void aLeaderChangeFailsTheRoundInFlightAndStartsTheWaitingOnes() throws Exception {
        CompletableFuture<Long> inFlight = queue.readIndex();
        CompletableFuture<Long> waiting = queue.readIndex();
        queue.leaderChanged();
        assertError(EtcdError.LEADER_CHANGED, inFlight);
        assertFalse(waiting.isDone());
        assertEquals(2, sent.size());
        answer(1, 3);
        assertEquals(3, waiting.get());
    }

    @Test
    void anUnansweredRoundIsResentWithAFreshContextAndEitherAnswerIsIgnoredIfStale() throws Exception {
        CompletableFuture<Long> read = queue.readIndex();
        now += ReadIndexQueue.RETRY_NANOS - 1;
        queue.tick();
        assertEquals(1, sent.size());
        now += 1;
        queue.tick();
        assertEquals(2, sent.size(), "resent after the retry interval");
        assertFalse(sent.get(0).equals(sent.get(1)));
        answer(0, 4); // the first request's late answer: its context is no longer the round's
        assertFalse(read.isDone());
        answer(1, 4);
        assertEquals(4, read.get());
    }

    @Test
    void aRoundUnansweredPastTheRequestTimeoutFailsWithTimeout() {
        CompletableFuture<Long> read = queue.readIndex();
        now += TimeUnit.SECONDS.toNanos(7);
        queue.tick();
        assertError(EtcdError.TIMEOUT, read);
    }

    @Test
    void failAllFailsWaitingAndInFlightReads() {
        CompletableFuture<Long> a = queue.readIndex();
        CompletableFuture<Long> b = queue.readIndex();
        queue.failAll(EtcdError.STOPPED);
        assertError(EtcdError.STOPPED, a);
        assertError(EtcdError.STOPPED, b);
    }

    private static void assertError(EtcdError expected, CompletableFuture<Long> f) {
        assertTrue(f.isCompletedExceptionally(), "failed");
        try {
            f.get();
        } catch (ExecutionException e) {
            assertSame(expected, ((EtcdException) e.getCause()).error);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
