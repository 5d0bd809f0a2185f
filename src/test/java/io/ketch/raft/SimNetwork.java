package io.ketch.raft;

import io.ketch.pb.raft.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The simulated network: every message sent is delayed by a random number of ticks, may be
 * lost or duplicated, is delivered in random order among those due, and is lost if a
 * partition separates its ends when it is due.
 */
final class SimNetwork {
    /** A message on the wire, deliverable from tick {@code due} on. */
    record InFlight(Message message, long due) {
    }

    private final SplittableRandom random;
    private int dropPercent;
    private int duplicatePercent;
    private final int maxDelayTicks;
    private final List<InFlight> inFlight = new ArrayList<>();
    /** Partition group of each member; members absent from the map are in group 0. */
    private final Map<Long, Integer> group = new HashMap<>();

    SimNetwork(SplittableRandom random, int dropPercent, int duplicatePercent, int maxDelayTicks) {
        this.random = random;
        this.dropPercent = dropPercent;
        this.duplicatePercent = duplicatePercent;
        this.maxDelayTicks = maxDelayTicks;
    }

    /** @return false if the message was lost on sending */
    boolean send(Message m, long now) {
        if (random.nextInt(100) < dropPercent) {
            return false;
        }
        inFlight.add(new InFlight(m, now + random.nextInt(maxDelayTicks + 1)));
        if (random.nextInt(100) < duplicatePercent) {
            inFlight.add(new InFlight(m, now + random.nextInt(maxDelayTicks + 1)));
        }
        return true;
    }

    /** From now on, messages are neither lost nor duplicated (they are still delayed and reordered). */
    void stopLosingMessages() {
        dropPercent = 0;
        duplicatePercent = 0;
    }

    boolean hasDue(long now) {
        for (InFlight f : inFlight) {
            if (f.due() <= now) {
                return true;
            }
        }
        return false;
    }

    /** Removes and returns a random message among those due, or null. */
    InFlight takeRandomDue(long now) {
        int count = 0;
        for (InFlight f : inFlight) {
            if (f.due() <= now) {
                count++;
            }
        }
        if (count == 0) {
            return null;
        }
        int pick = random.nextInt(count);
        for (int i = 0; i < inFlight.size(); i++) {
            if (inFlight.get(i).due() <= now && pick-- == 0) {
                return inFlight.remove(i);
            }
        }
        throw new IllegalStateException();
    }

    boolean connected(long a, long b) {
        return group.getOrDefault(a, 0).equals(group.getOrDefault(b, 0));
    }

    void partition(Map<Long, Integer> groups) {
        group.clear();
        group.putAll(groups);
    }

    void heal() {
        group.clear();
    }

    boolean partitioned() {
        return !group.isEmpty();
    }

    int size() {
        return inFlight.size();
    }
}
