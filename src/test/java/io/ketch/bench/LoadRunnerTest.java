package io.ketch.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The runner against in-memory clients: no server, no gRPC. */
class LoadRunnerTest {

    private static List<Workload.Client> clients(int n, Workload.Client client) {
        return Collections.nCopies(n, client);
    }

    @Test
    void synchronousCompletionsDoNotGrowTheStack() throws Exception {
        // A million requests that complete inside issue() would overflow the stack if each
        // completion issued the next request recursively.
        RoundResult r = LoadRunner.run(clients(1, (seq, done) -> done.succeeded()), Budget.requests(1_000_000));
        assertEquals(1_000_000, r.succeeded());
        assertEquals(0, r.failed());
        assertEquals(1_000_000, r.latency().count());
    }

    @Test
    void everySequenceNumberIsIssuedOnceAcrossClientsAndThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Set<Long> seen = Collections.synchronizedSet(new HashSet<>());
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger maxInFlight = new AtomicInteger();
            Workload.Client client = (seq, done) -> {
                assertTrue(seen.add(seq), "seq " + seq + " issued twice");
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                pool.execute(() -> {
                    inFlight.decrementAndGet();
                    done.succeeded();
                });
            };
            RoundResult r = LoadRunner.run(clients(8, client), Budget.requests(20_000));
            assertEquals(20_000, r.succeeded());
            assertEquals(20_000, seen.size());
            assertTrue(maxInFlight.get() <= 8, "at most one request per client in flight: " + maxInFlight.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void failuresAreCountedWithTheFirstMessageAndHaveNoLatency() throws Exception {
        Workload.Client client = (seq, done) -> {
            if (seq % 4 == 0) {
                done.failed(new IllegalStateException("boom " + seq));
            } else {
                done.succeeded();
            }
        };
        RoundResult r = LoadRunner.run(clients(1, client), Budget.requests(100));
        assertEquals(75, r.succeeded());
        assertEquals(25, r.failed());
        assertEquals(100, r.requests());
        assertEquals("java.lang.IllegalStateException: boom 0", r.firstError());
        assertEquals(75, r.latency().count());
    }

    @Test
    void aThrowingClientCountsAsAFailureNotAHang() throws Exception {
        RoundResult r = LoadRunner.run(clients(2, (seq, done) -> {
            throw new IllegalArgumentException("bad");
        }), Budget.requests(10));
        assertEquals(10, r.failed());
    }

    @Test
    void moreClientsThanRequestsStillFinishes() throws Exception {
        RoundResult r = LoadRunner.run(clients(50, (seq, done) -> done.succeeded()), Budget.requests(3));
        assertEquals(3, r.succeeded());
        assertNull(r.firstError());
    }

    @Test
    void aTimedRunStopsIssuingAtTheDeadline() throws Exception {
        List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
        RoundResult r = LoadRunner.run(clients(2, (seq, done) -> {
            seqs.add(seq);
            done.succeeded();
        }), Budget.forDuration(Duration.ofMillis(50)));
        assertTrue(r.elapsedNanos() >= Duration.ofMillis(50).toNanos());
        assertTrue(r.succeeded() > 0);
        assertEquals(r.succeeded(), seqs.size());
    }
}
