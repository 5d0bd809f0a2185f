package io.ketch.raft;

import java.util.List;

/** A simulated run broke an invariant (or crashed); the message says how to replay it. */
final class SimulationFailure extends AssertionError {
    final long seed;

    SimulationFailure(long seed, int step, List<String> trace, Throwable cause) {
        super(describe(seed, step, trace, cause), cause);
        this.seed = seed;
    }

    static String replayCommand(long seed) {
        return "./mvnw test -Dtest=SimulatorTest -Draft.sim.seed=" + seed;
    }

    private static String describe(long seed, int step, List<String> trace, Throwable cause) {
        StringBuilder b = new StringBuilder();
        b.append("simulation seed ").append(seed).append(" failed at step ").append(step).append(": ").append(cause).append('\n');
        b.append("replay: ").append(replayCommand(seed)).append('\n');
        b.append("   or: java -cp <test classpath> io.ketch.raft.SimulatorMain --seed ").append(seed).append('\n');
        b.append("last events (oldest first):\n");
        for (String t : trace) {
            b.append("  ").append(t).append('\n');
        }
        return b.toString();
    }
}
