package io.ketch.bench;

import java.io.PrintStream;
import java.util.Optional;

/**
 * {@code ketch bench}: measures the throughput and latency of any etcd v3 gRPC endpoint, Ketch
 * or etcd itself, so that both can be compared with the same tool in the same run.
 */
public final class Bench {
    static final int OK = 0;
    static final int USAGE = 1;
    static final int FAILED = 2;

    private Bench() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs {@code ketch bench} with the arguments after "bench"; returns the exit code. */
    public static int run(String[] args) {
        return run(args, System.out, System.err);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (UsageException e) {
            return usageError(err, e.getMessage());
        }
        if (options.help()) {
            out.print(usage());
            return OK;
        }
        if (options.command().equals(WatchBench.NAME)) {
            // the watch benchmark has its own runner: it measures deliveries, not round trips
            return runOn(options, out, err,
                    (connections, summary, csv) -> new WatchBench(options, connections, summary, csv).execute());
        }
        Optional<Workload> workload = Workloads.create(options);
        if (workload.isEmpty()) {
            return usageError(err, "unknown benchmark: " + options.command());
        }
        return runOn(options, out, err,
                (connections, summary, csv) -> new BenchRun(options, workload.get(), connections, summary, csv).execute());
    }

    /** A benchmark run over open connections; returns the exit code. */
    @FunctionalInterface
    private interface Runner {
        int run(Connections connections, PrintStream summary, PrintStream csvOrNull)
                throws BenchFailure, InterruptedException;
    }

    /**
     * Opens the connections and runs. With --csv, stdout carries only CSV so it can be
     * redirected to a file; the summary still reaches the terminal on stderr.
     */
    private static int runOn(BenchOptions options, PrintStream out, PrintStream err, Runner runner) {
        PrintStream summary = options.csv() ? err : out;
        try (Connections connections = Connections.open(options.endpoints(), options.conns(), options.timeout())) {
            connections.awaitReady(options.timeout());
            return runner.run(connections, summary, options.csv() ? out : null);
        } catch (BenchFailure e) {
            err.println("ketch bench: " + e.getMessage());
            return FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("ketch bench: interrupted");
            return FAILED;
        }
    }

    private static int usageError(PrintStream err, String message) {
        err.println("ketch bench: " + message);
        err.print(usage());
        return USAGE;
    }

    static String usage() {
        return """
                Usage: ketch bench <%s> [options]
                Measures an etcd v3 gRPC endpoint (Ketch or etcd) with concurrent clients.
                  put      one Put per request; sequential keys, or random ones with --key-space
                  range    one single-key Range per request; the keys are written first
                  lease-grant      one LeaseGrant per request (TTL 1 h, server-chosen IDs)
                  lease-keepalive  one keepalive per request, each client on its own lease and stream
                  watch    fan-out: --watchers on one prefix over --streams, --clients put --total keys
                           under it; events/s delivered to all watchers and delivery latency

                Options:
                  --endpoints H:P[,H:P]  endpoints; connections are spread over them (default 127.0.0.1:2379)
                  --conns M              gRPC connections (default 1)
                  --clients N            requests in flight at once, clients spread over the connections (default 1)
                  --total T              requests per round (default 10000)
                  --duration D           run each round for a time instead of --total, e.g. 10s, 500ms, 1m
                  --key-size B           key size in bytes (default 8)
                  --val-size B           value size in bytes (default 256)
                  --key-space K          distinct keys, picked at random (default: put writes a new key
                                         per request; range reads 1 key)
                  --consistency l|s      range: linearizable or serializable reads (default l)
                  --warmup N             unmeasured requests before the first round (default 0)
                  --rounds R             measure R times and print the median ops/s (default 1)
                  --timeout D            deadline of each request and of connecting (default 30s); watch:
                                         also how long the events may take after the last put
                  --watchers W           watch: watchers on the benchmark's prefix (default 100)
                  --streams S            watch: watch streams carrying them (default: one per connection)
                  --csv                  write CSV (a header and one row per round) to stdout and the
                                         summary to stderr
                  -h, --help             show this help
                Exit status: 0 ok, 1 bad usage, 2 a request failed or an endpoint was unreachable.
                """.formatted(String.join("|", Workloads.names()) + "|" + WatchBench.NAME);
    }
}
