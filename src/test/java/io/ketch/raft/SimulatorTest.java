package io.ketch.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic cluster simulator over many seeds. Properties:
 * {@code -Draft.sim.seeds=N} (default 2000) runs seeds 1..N; {@code -Draft.sim.seed=S}
 * replays only seed S; {@code -Draft.sim.steps=K} changes the events per run.
 */
class SimulatorTest {
    static final int DEFAULT_SEEDS = 2000;
    static final int DEFAULT_STEPS = 1500;

    @Test
    void everySeedKeepsAllSafetyPropertiesAndSettles() throws Exception {
        int steps = Integer.getInteger("raft.sim.steps", DEFAULT_STEPS);
        String single = System.getProperty("raft.sim.seed");
        if (single != null && !single.isBlank()) {
            new ClusterSimulator(Long.parseLong(single.trim()), steps).run();
            return;
        }
        int seeds = Integer.getInteger("raft.sim.seeds", DEFAULT_SEEDS);
        SimulatorMain.Outcome outcome = SimulatorMain.runSeeds(1, seeds, steps, Runtime.getRuntime().availableProcessors());
        if (outcome.firstFailure() != null) {
            throw new AssertionError(outcome.failures().size() + " of " + seeds + " seeds failed; the first is reported below.\n"
                    + String.join("\n", outcome.failures().subList(0, Math.min(10, outcome.failures().size())))
                    + "\n\n" + outcome.firstFailure().getMessage(), outcome.firstFailure());
        }
        ClusterSimulator.Stats s = outcome.stats();
        // The runs must actually exercise what they check.
        assertTrue(s.entriesApplied() > seeds * 20, "entries applied: " + s);
        assertTrue(s.readsServed() > seeds, "reads served: " + s);
        assertTrue(s.confChangesApplied() > seeds / 4, "membership changes applied: " + s);
        assertTrue(s.snapshotsInstalled() > seeds / 20, "snapshots installed: " + s);
        assertTrue(s.leadersElected() > seeds * 2, "leaders elected: " + s);
        assertTrue(s.crashes() > seeds, "crashes: " + s);
    }

    @Test
    void aSeedReplaysIdentically() {
        ClusterSimulator first = new ClusterSimulator(42, 800);
        ClusterSimulator second = new ClusterSimulator(42, 800);
        assertEquals(first.run(), second.run());
        assertEquals(first.eventDigest(), second.eventDigest(), "the same events in the same order");
        ClusterSimulator other = new ClusterSimulator(43, 800);
        other.run();
        assertNotEquals(first.eventDigest(), other.eventDigest());
    }
}
