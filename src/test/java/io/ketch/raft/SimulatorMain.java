package io.ketch.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs any number of simulator seeds from the command line:
 * <pre>
 *   java -cp &lt;test classpath&gt; io.ketch.raft.SimulatorMain [--seeds N] [--from S] [--steps K] [--threads T]
 *   java -cp &lt;test classpath&gt; io.ketch.raft.SimulatorMain --seed S     (replay one seed, print its failure)
 * </pre>
 * Exits with status 1 if any seed fails, after printing the lowest failing seed's report.
 */
public final class SimulatorMain {
    /** The result of many runs: the failure of the lowest failing seed (if any), and counters. */
    record Outcome(SimulationFailure firstFailure, List<String> failures, ClusterSimulator.Stats stats) {
    }

    private SimulatorMain() {
    }

    public static void main(String[] args) throws Exception {
        long from = 1;
        int seeds = SimulatorTest.DEFAULT_SEEDS;
        int steps = SimulatorTest.DEFAULT_STEPS;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seeds" -> seeds = Integer.parseInt(args[++i]);
                case "--from" -> from = Long.parseLong(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--seed" -> {
                    from = Long.parseLong(args[++i]);
                    seeds = 1;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        long start = System.nanoTime();
        Outcome o = runSeeds(from, seeds, steps, threads);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("%d seeds from %d, %d steps each: %d failed, %d ms%n%s%n", seeds, from, steps, o.failures().size(), millis, o.stats());
        o.failures().forEach(f -> System.out.println("FAILED " + f));
        if (o.firstFailure() != null) {
            o.firstFailure().printStackTrace(System.out);
            System.exit(1);
        }
    }

    static Outcome runSeeds(long from, int seeds, int steps, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<ClusterSimulator.Stats>> runs = new ArrayList<>();
            for (long seed = from; seed < from + seeds; seed++) {
                long s = seed;
                runs.add(pool.submit(() -> new ClusterSimulator(s, steps).run()));
            }
            ClusterSimulator.Stats total = new ClusterSimulator.Stats(0, 0, 0, 0, 0, 0, 0);
            SimulationFailure first = null;
            List<String> failures = new ArrayList<>();
            for (Future<ClusterSimulator.Stats> run : runs) {
                try {
                    total = total.plus(run.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    String headline = String.valueOf(e.getCause().getMessage()).lines().findFirst().orElse("");
                    failures.add(headline.length() > 300 ? headline.substring(0, 300) : headline);
                    if (first == null && e.getCause() instanceof SimulationFailure f) {
                        first = f;
                    } else if (first == null) {
                        throw e;
                    }
                }
            }
            return new Outcome(first, failures, total);
        } finally {
            pool.shutdownNow();
        }
    }
}
