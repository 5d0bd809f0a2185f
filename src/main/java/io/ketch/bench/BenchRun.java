package io.ketch.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** The phases of one benchmark on open connections: prepare, warm up, measure each round, report. */
final class BenchRun {
    private final BenchOptions options;
    private final Workload workload;
    private final Connections connections;
    private final Report report;
    private final PrintStream summary;
    private final PrintStream csv;

    /** {@code csv} is null without {@code --csv}. */
    BenchRun(BenchOptions options, Workload workload, Connections connections, PrintStream summary, PrintStream csv) {
        this.options = options;
        this.workload = workload;
        this.connections = connections;
        this.report = new Report(options, workload);
        this.summary = summary;
        this.csv = csv;
    }

    /** Returns the exit code: 0, or 2 when any request failed. */
    int execute() throws BenchFailure, InterruptedException {
        workload.prepare(this::runUnmeasured);
        summary.println(report.header());
        if (csv != null) {
            csv.println(Report.CSV_HEADER);
        }
        boolean anyFailed = false;
        List<Workload.Client> clients = newClients(workload);
        try {
            if (options.warmup() > 0) {
                RoundResult warmup = LoadRunner.run(clients, Budget.requests(options.warmup()));
                if (warmup.failed() > 0) {
                    anyFailed = true;
                    summary.println("  warmup: errors " + warmup.failed() + ", first error: " + warmup.firstError());
                }
            }
            List<RoundResult> rounds = new ArrayList<>();
            for (int round = 1; round <= options.rounds(); round++) {
                Budget budget = options.duration().map(Budget::forDuration)
                        .orElseGet(() -> Budget.requests(options.total()));
                RoundResult result = LoadRunner.run(clients, budget);
                rounds.add(result);
                anyFailed |= result.failed() > 0;
                summary.print(report.result(options.rounds() == 1 ? "" : "round " + round + ": ", result));
                if (csv != null) {
                    csv.println(report.csvRow(round, result));
                }
            }
            if (rounds.size() > 1) {
                summary.println(report.median(rounds));
            }
        } finally {
            closeAll(clients);
        }
        return anyFailed ? 2 : 0;
    }

    /** {@link Workload.Setup}: runs another workload with the same clients count and connections. */
    private void runUnmeasured(Workload setupWorkload, long requests) throws BenchFailure, InterruptedException {
        List<Workload.Client> clients = newClients(setupWorkload);
        try {
            RoundResult result = LoadRunner.run(clients, Budget.requests(requests));
            if (result.failed() > 0) {
                throw new BenchFailure("preparing " + workload.title() + ": " + result.failed() + " of "
                        + result.requests() + " " + setupWorkload.title() + " requests failed; first error: "
                        + result.firstError());
            }
        } finally {
            closeAll(clients);
        }
    }

    private List<Workload.Client> newClients(Workload w) {
        List<Workload.Client> clients = new ArrayList<>(options.clients());
        for (int i = 0; i < options.clients(); i++) {
            clients.add(w.newClient(connections.forClient(i)));
        }
        return clients;
    }

    private static void closeAll(List<Workload.Client> clients) {
        for (Workload.Client client : clients) {
            client.close();
        }
    }
}
