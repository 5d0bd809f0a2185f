package io.ketch.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One benchmark client: a loop with one request in flight, whose next request is issued from
 * the completion of the previous one, on whatever thread completed it. So a hundred clients
 * need no hundred threads, only the few event-loop threads gRPC already has.
 */
final class ClientLoop implements Completion {
    private final Workload.Client client;
    private final Budget budget;
    private final LatencyLog latencies;
    private final ErrorTally errors;
    private final CountDownLatch finished;
    /** Turns of the loop asked for; see {@link #next}. */
    private final AtomicInteger turns = new AtomicInteger();
    /** When the request in flight was issued. Handed between threads by gRPC's own synchronization. */
    private long issuedAt;

    ClientLoop(Workload.Client client, Budget budget, LatencyLog latencies, ErrorTally errors,
            CountDownLatch finished) {
        this.client = client;
        this.budget = budget;
        this.latencies = latencies;
        this.errors = errors;
        this.finished = finished;
    }

    void start() {
        next();
    }

    @Override
    public void succeeded() {
        latencies.add(System.nanoTime() - issuedAt);
        next();
    }

    @Override
    public void failed(Throwable error) {
        errors.record(error);
        next();
    }

    /**
     * Issues the next request. A request may complete on the issuing thread's own stack (a call
     * that fails at once, or a synchronous test workload); calling issue from there again would
     * recurse once per request and overflow the stack. Instead, such a completion only counts
     * an extra turn, and the outer invocation runs it in this loop (a trampoline).
     */
    private void next() {
        if (turns.getAndIncrement() != 0) {
            return;
        }
        do {
            issueOne();
        } while (turns.decrementAndGet() != 0);
    }

    private void issueOne() {
        long seq = budget.next();
        if (seq < 0) {
            finished.countDown();
            return;
        }
        issuedAt = System.nanoTime();
        try {
            client.issue(seq, this);
        } catch (RuntimeException e) {
            failed(e);
        }
    }
}
