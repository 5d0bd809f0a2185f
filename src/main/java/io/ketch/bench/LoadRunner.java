package io.ketch.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** Runs a set of clients against one budget and measures the run. Knows nothing of gRPC. */
final class LoadRunner {
    private LoadRunner() {
    }

    static RoundResult run(List<? extends Workload.Client> clients, Budget budget) throws InterruptedException {
        CountDownLatch finished = new CountDownLatch(clients.size());
        ErrorTally errors = new ErrorTally();
        long expected = budget.expected();
        int share = expected < 0 ? 1024 : (int) Math.min(1 << 22, expected / clients.size() + 1);
        List<LatencyLog> logs = new ArrayList<>(clients.size());
        List<ClientLoop> loops = new ArrayList<>(clients.size());
        for (Workload.Client client : clients) {
            LatencyLog log = new LatencyLog(share);
            logs.add(log);
            loops.add(new ClientLoop(client, budget, log, errors, finished));
        }

        long start = System.nanoTime();
        budget.start(start);
        for (ClientLoop loop : loops) {
            loop.start();
        }
        // Every request has a deadline, so every client finishes; the latch also publishes
        // each client's latency log to this thread.
        finished.await();
        long elapsed = System.nanoTime() - start;

        long[] latencies = LatencyLog.merge(logs);
        return new RoundResult(latencies.length, errors.count(), errors.first(), elapsed,
                LatencySummary.of(latencies));
    }
}
