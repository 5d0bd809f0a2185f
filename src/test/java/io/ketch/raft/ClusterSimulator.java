package io.ketch.raft;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfChangeSingle;
import io.ketch.pb.raft.ConfChangeTransition;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import io.ketch.pb.raft.Snapshot;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A deterministic simulation of a Raft cluster: one seed fixes the cluster's size and
 * settings, the network's behaviour (loss, delay, duplication, reordering, partitions), the
 * crashes and restarts, and the client workload (proposals, ReadIndex reads, membership
 * changes, leader transfers, log compaction). The same seed always replays the same run.
 *
 * <p>A run has two phases. In the chaos phase every step is one event, and the
 * {@link SafetyChecker} checks all safety properties after each. In the settle phase the
 * network is healed, crashed members restart, messages are no longer lost, and the cluster
 * must commit a final proposal on every member within a bounded number of ticks (when
 * pre-vote or check-quorum protects it from members removed behind their back). The bound
 * is generous: without pre-vote, a voter with a stale log and a stale membership can keep
 * splitting the vote with the rightful candidate until the randomized timeouts part them.
 */
final class ClusterSimulator {
    /** Counters of what a run exercised, so tests can check the simulator is not idle. */
    record Stats(int entriesApplied, int readsServed, int confChangesApplied, int snapshotsInstalled,
                 int leadersElected, int crashes, int proposalsDropped) {
        Stats plus(Stats o) {
            return new Stats(entriesApplied + o.entriesApplied, readsServed + o.readsServed,
                    confChangesApplied + o.confChangesApplied, snapshotsInstalled + o.snapshotsInstalled,
                    leadersElected + o.leadersElected, crashes + o.crashes, proposalsDropped + o.proposalsDropped);
        }
    }

    private static final int TRACE_LENGTH = 80;
    private static final int SETTLE_TICKS = 1500;

    private final long seed;
    private final int steps;
    private final SplittableRandom random;
    private final SimNetwork network;
    private final SafetyChecker checker = new SafetyChecker(1);
    private final Map<Long, SimNode> nodes = new TreeMap<>();
    private final RaftConfig memberConfig;
    private final int readyImmediatelyPercent;
    private final int[] eventWeights;
    private final int eventWeightTotal;
    private final Deque<String> trace = new ArrayDeque<>();
    private final long maxNodeId;
    private long nextNodeId;
    private long now;
    private long requests;
    private int step;
    private long eventDigest;
    private int confChangesApplied;
    private int snapshotsInstalled;
    private int crashes;
    private int proposalsDropped;
    private final Map<Long, Long> leadersSeen = new HashMap<>();

    ClusterSimulator(long seed, int steps) {
        this.seed = seed;
        this.steps = steps;
        this.random = new SplittableRandom(seed);
        this.network = new SimNetwork(random.split(), random.nextInt(11), random.nextInt(6), random.nextInt(4));
        long maxMsg = new long[] {1, 64, 256, 4096}[random.nextInt(4)];
        this.memberConfig = RaftConfig.builder(1)
                .electionTick(10)
                .heartbeatTick(1 + random.nextInt(2))
                .preVote(random.nextBoolean())
                .checkQuorum(random.nextBoolean())
                .maxSizePerMsg(maxMsg)
                .maxInflightMsgs(1 + random.nextInt(8))
                .maxInflightBytes(random.nextBoolean() ? Long.MAX_VALUE : maxMsg * (1 + random.nextInt(8)))
                .maxUncommittedEntriesSize(new long[] {64, 1024, 1 << 20}[random.nextInt(3)])
                .maxCommittedSizePerReady(random.nextBoolean() ? Long.MAX_VALUE : 64)
                .build();
        this.readyImmediatelyPercent = 50 + random.nextInt(51);
        // How chaotic this run is: some seeds crash and partition much more than others.
        int crash = new int[] {1, 2, 6}[random.nextInt(3)];
        int split = new int[] {1, 2, 5}[random.nextInt(3)];
        //                  tick propose read conf transfer crash  restart     partition heal       compact
        this.eventWeights = new int[] {55, 15, 8, 4, 2, crash, 2 * crash + 1, split, split + 1, 4};
        this.eventWeightTotal = java.util.Arrays.stream(eventWeights).sum();
        int initialMembers = new int[] {1, 3, 3, 5}[random.nextInt(4)];
        this.maxNodeId = initialMembers + 1 + random.nextInt(4);
        ConfState.Builder founders = ConfState.newBuilder();
        for (long id = 1; id <= initialMembers; id++) {
            founders.addVoters(id);
        }
        for (long id = 1; id <= initialMembers; id++) {
            addNode(id, MemoryStorage.bootstrap(founders.build()));
        }
        this.nextNodeId = initialMembers + 1;
        note("start: " + initialMembers + " members, " + memberConfig);
    }

    Stats run() {
        try {
            for (step = 0; step < steps; step++) {
                event();
                checker.afterStep(nodes.values());
            }
            checker.checkLogsMatch(nodes.values());
            settle();
            checker.checkLogsMatch(nodes.values());
        } catch (AssertionError | RuntimeException e) {
            throw new SimulationFailure(seed, step, List.copyOf(trace), e);
        }
        return new Stats(checker.entriesApplied, checker.readsServed, confChangesApplied, snapshotsInstalled,
                leadersSeen.size(), crashes, proposalsDropped);
    }

    // ---- events --------------------------------------------------------------------------

    private void event() {
        if (random.nextInt(100) < 85) {
            List<SimNode> withReady = nodes.values().stream().filter(n -> n.up() && n.raft.hasReady()).toList();
            boolean due = network.hasDue(now);
            if (!withReady.isEmpty() && (!due || random.nextBoolean())) {
                processReady(withReady.get(random.nextInt(withReady.size())));
                return;
            }
            if (due) {
                deliver(network.takeRandomDue(now));
                return;
            }
        }
        int r = random.nextInt(eventWeightTotal);
        int e = 0;
        while (r >= eventWeights[e]) {
            r -= eventWeights[e];
            e++;
        }
        switch (e) {
            case 0 -> tick();
            case 1 -> propose();
            case 2 -> read();
            case 3 -> changeMembership();
            case 4 -> transferLeader();
            case 5 -> crash();
            case 6 -> restart();
            case 7 -> partition();
            case 8 -> heal();
            default -> compact();
        }
    }

    private void tick() {
        now++;
        note("tick " + now);
        for (SimNode n : List.copyOf(nodes.values())) { // applying may add members
            if (n.up()) {
                n.raft.tick();
                maybeProcessReady(n);
            }
        }
    }

    private void deliver(SimNetwork.InFlight f) {
        Message m = f.message();
        SimNode to = nodes.get(m.getTo());
        if (to == null || !to.up() || !network.connected(m.getFrom(), m.getTo())) {
            note("lost " + describe(m));
            lost(m);
            return;
        }
        note("deliver " + describe(m));
        to.raft.step(m);
        SimNode from = nodes.get(m.getFrom());
        if (m.getType() == MessageType.MSG_SNAP && from != null && from.up()) {
            from.raft.reportSnapshot(m.getTo(), SnapshotStatus.FINISH);
        }
        maybeProcessReady(to);
    }

    /** What the transport of the sender would notice of a lost message. */
    private void lost(Message m) {
        SimNode from = nodes.get(m.getFrom());
        if (from == null || !from.up()) {
            return;
        }
        if (m.getType() == MessageType.MSG_SNAP) {
            from.raft.reportSnapshot(m.getTo(), SnapshotStatus.FAILURE);
        } else if (random.nextInt(100) < 30) {
            from.raft.reportUnreachable(m.getTo());
        }
    }

    private void propose() {
        SimNode n = randomLiveNode();
        if (n == null) {
            return;
        }
        ByteString data = ByteString.copyFromUtf8("p" + (++requests));
        note("propose " + data.toStringUtf8() + " at " + n.id);
        try {
            n.raft.propose(data);
        } catch (ProposalDroppedException e) {
            proposalsDropped++;
        }
        maybeProcessReady(n);
    }

    private void read() {
        SimNode n = randomLiveNode();
        if (n == null) {
            return;
        }
        ByteString ctx = ByteString.copyFrom(ByteBuffer.allocate(8).putLong(++requests).array());
        note("read " + requests + " at " + n.id + " (must see index " + checker.commitFrontier() + ")");
        checker.onReadIssued(n.id, ctx);
        n.raft.readIndex(ctx);
        maybeProcessReady(n);
    }

    private void changeMembership() {
        SimNode n = randomLiveNode();
        if (n == null) {
            return;
        }
        ConfChange cc = randomConfChange(n.confState);
        if (cc == null) {
            return;
        }
        note("propose conf change " + describe(cc) + " at " + n.id);
        try {
            n.raft.proposeConfChange(cc);
        } catch (ProposalDroppedException e) {
            proposalsDropped++;
        }
        maybeProcessReady(n);
    }

    /** A plausible change from the membership cs (it may be stale; the leader judges). */
    private ConfChange randomConfChange(ConfState cs) {
        if (cs.getVotersOutgoingCount() > 0) {
            return cs.getAutoLeave() && random.nextInt(4) != 0 ? null : ConfChange.getDefaultInstance();
        }
        List<Long> voters = cs.getVotersList();
        List<Long> learners = cs.getLearnersList();
        boolean canAdd = nextNodeId <= maxNodeId;
        ConfChange.Builder cc = ConfChange.newBuilder();
        switch (random.nextInt(7)) {
            case 0 -> {
                if (!canAdd) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.ADD_NODE, nextNodeId++));
            }
            case 1 -> {
                if (!canAdd) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.ADD_LEARNER_NODE, nextNodeId++));
            }
            case 2 -> {
                if (learners.isEmpty()) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.ADD_NODE, pick(learners)));
            }
            case 3 -> {
                if (voters.size() < 2) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.REMOVE_NODE, pick(voters)));
            }
            case 4 -> {
                if (voters.size() < 2) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.ADD_LEARNER_NODE, pick(voters)));
            }
            case 5 -> {
                if (learners.isEmpty()) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.REMOVE_NODE, pick(learners)));
            }
            default -> {
                // Replace a voter: two voter changes at once need joint consensus.
                if (!canAdd || voters.isEmpty()) {
                    return null;
                }
                cc.addChanges(change(ConfChangeType.ADD_NODE, nextNodeId++));
                cc.addChanges(change(ConfChangeType.REMOVE_NODE, pick(voters)));
                cc.setTransition(ConfChangeTransition.forNumber(random.nextInt(3)));
            }
        }
        return cc.build();
    }

    private void transferLeader() {
        SimNode n = randomLiveNode();
        if (n == null || n.confState.getVotersCount() == 0) {
            return;
        }
        long target = pick(n.confState.getVotersList());
        note("transfer leadership to " + target + " via " + n.id);
        n.raft.transferLeader(target);
        maybeProcessReady(n);
    }

    private void crash() {
        // Half the time, the leader: its crash is what tests leader changes hardest.
        SimNode n = random.nextBoolean() ? randomLeader() : null;
        if (n == null) {
            n = randomLiveNode();
        }
        if (n == null) {
            return;
        }
        note("crash " + n.id);
        n.crash();
        crashes++;
    }

    private void restart() {
        List<SimNode> down = nodes.values().stream().filter(n -> !n.up()).toList();
        if (down.isEmpty()) {
            tick();
            return;
        }
        SimNode n = down.get(random.nextInt(down.size()));
        note("restart " + n.id);
        n.start();
    }

    private void partition() {
        Map<Long, Integer> groups = new HashMap<>();
        if (random.nextBoolean()) {
            groups.put(pick(new ArrayList<>(nodes.keySet())), 1);
        } else {
            for (long id : nodes.keySet()) {
                groups.put(id, random.nextInt(2));
            }
        }
        note("partition " + groups);
        network.partition(groups);
    }

    private void heal() {
        if (network.partitioned()) {
            note("heal");
        }
        network.heal();
    }

    /** Snapshots the member's state machine and drops a random part of the log it covers. */
    private void compact() {
        SimNode n = randomLiveNode();
        if (n == null || n.appliedIndex <= n.disk.snapshot().getMetadata().getIndex()) {
            return;
        }
        note("compact " + n.id + " at " + n.appliedIndex);
        n.disk.createSnapshot(n.appliedIndex, n.confState, n.snapshotData());
        long compactTo = n.appliedIndex - random.nextInt(4);
        if (compactTo >= n.disk.firstIndex()) {
            n.disk.compact(compactTo);
        }
    }

    // ---- the driver ----------------------------------------------------------------------

    private void maybeProcessReady(SimNode n) {
        if (n.up() && n.raft.hasReady() && random.nextInt(100) < readyImmediatelyPercent) {
            processReady(n);
        }
    }

    /** Carries out one Ready as the driver contract says: persist, send, apply, advance. */
    private void processReady(SimNode n) {
        Ready rd = n.raft.ready();
        rd.snapshot().ifPresent(s -> {
            if (!n.disk.applySnapshot(s)) {
                throw new IllegalStateException("member " + n.id + " was handed an out-of-date snapshot");
            }
        });
        n.disk.append(rd.entries());
        rd.hardState().ifPresent(n.disk::setHardState);
        checker.onEntriesWritten(n, rd.entries());
        note("ready " + n.id + ": " + rd.entries().size() + " entries, " + rd.committedEntries().size() + " to apply, "
                + rd.messages().size() + " messages" + rd.hardState().map(h -> ", hs " + h.getTerm() + "/" + h.getVote() + "/" + h.getCommit()).orElse("")
                + rd.softState().map(s -> ", " + s.role() + " lead " + s.leader()).orElse(""));
        for (Message m : rd.messages()) {
            if (!network.send(m, now)) {
                lost(m);
            }
        }
        rd.snapshot().ifPresent(s -> installSnapshot(n, s));
        for (Entry e : rd.committedEntries()) {
            checker.onApply(n, e);
            n.apply(e);
            if (e.getType() == EntryType.CONF_CHANGE) {
                applyConfChange(n, e);
            }
            checker.onApplied(n);
        }
        for (ReadState rs : rd.readStates()) {
            checker.onReadState(n, rs);
        }
        n.raft.advance(rd);
        if (n.raft.status().softState().role() == StateRole.LEADER) {
            leadersSeen.putIfAbsent(n.raft.status().hardState().getTerm(), n.id);
        }
    }

    private void installSnapshot(SimNode n, Snapshot s) {
        checker.onSnapshotInstalled(n, s);
        n.restoreStateMachine(s);
        snapshotsInstalled++;
    }

    private void applyConfChange(SimNode n, Entry e) {
        ConfChange cc;
        try {
            cc = ConfChange.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException(ex);
        }
        n.confState = n.raft.applyConfChange(cc);
        confChangesApplied++;
        for (ConfChangeSingle c : cc.getChangesList()) {
            if (!nodes.containsKey(c.getNodeId())) {
                // A member joins with an empty disk and learns everything from the leader.
                addNode(c.getNodeId(), new MemoryStorage());
            }
        }
    }

    private void addNode(long id, MemoryStorage disk) {
        SimNode n = new SimNode(id, disk, memberConfig.toBuilder().id(id).randomSeed(seed * 1_000_003L + id).build());
        nodes.put(id, n);
        n.start();
    }

    // ---- the settle phase ----------------------------------------------------------------

    /**
     * Liveness: with the network healed, no more losses and every member up, a proposal must
     * be committed and applied by every member of the configuration within SETTLE_TICKS.
     */
    private void settle() {
        note("settle: heal, restart everyone, stop losing messages");
        network.heal();
        network.stopLosingMessages();
        for (SimNode n : nodes.values()) {
            if (!n.up()) {
                n.start();
            }
        }
        long markerIndex = 0;
        for (int t = 0; t < SETTLE_TICKS; t++) {
            drainInternalWork();
            if (markerIndex == 0) {
                markerIndex = findMarker();
            }
            if (markerIndex > 0 && everyMemberApplied(markerIndex)) {
                return;
            }
            if (markerIndex == 0 && t % 20 == 0) {
                proposeMarker();
            }
            tick();
            checker.afterStep(nodes.values());
        }
        if (!memberConfig.preVote() && !memberConfig.checkQuorum()) {
            // Without either, a member removed while it was away keeps starting elections
            // with ever higher terms (thesis §4.2.3); only safety is required of such runs.
            return;
        }
        throw new AssertionError("Liveness: the healed cluster did not commit a proposal on every member within "
                + SETTLE_TICKS + " ticks (marker index " + markerIndex + ")\n" + describeCluster());
    }

    private void drainInternalWork() {
        for (int guard = 0; guard < 100_000; guard++) {
            SimNode withReady = nodes.values().stream().filter(n -> n.up() && n.raft.hasReady()).findFirst().orElse(null);
            if (withReady != null) {
                processReady(withReady);
            } else if (network.hasDue(now)) {
                deliver(network.takeRandomDue(now));
            } else {
                return;
            }
            checker.afterStep(nodes.values());
        }
        throw new AssertionError("Liveness: the cluster keeps exchanging messages without a tick passing");
    }

    private static final ByteString MARKER = ByteString.copyFromUtf8("settle-marker");

    private void proposeMarker() {
        for (SimNode n : nodes.values()) {
            if (n.up() && n.raft.status().softState().role() == StateRole.LEADER) {
                note("propose settle marker at " + n.id);
                try {
                    n.raft.propose(MARKER);
                } catch (ProposalDroppedException e) {
                    proposalsDropped++;
                }
            }
        }
    }

    private long findMarker() {
        for (SimNode n : nodes.values()) {
            if (!n.up()) {
                continue;
            }
            RaftLog log = n.core().log;
            long lo = Math.max(log.firstIndex(), 1);
            for (Entry e : log.slice(lo, log.committed() + 1, RaftLog.NO_LIMIT)) {
                if (e.getData().equals(MARKER)) {
                    return e.getIndex();
                }
            }
        }
        return 0;
    }

    /** Whether every member of the newest applied membership has applied index. */
    private boolean everyMemberApplied(long index) {
        SimNode newest = nodes.values().stream().max(java.util.Comparator.comparingLong(n -> n.appliedIndex)).orElseThrow();
        ConfState cs = newest.confState;
        for (SimNode n : nodes.values()) {
            boolean member = cs.getVotersList().contains(n.id) || cs.getLearnersList().contains(n.id)
                    || cs.getVotersOutgoingList().contains(n.id);
            if (member && n.appliedIndex < index) {
                return false;
            }
        }
        return true;
    }

    // ---- helpers -------------------------------------------------------------------------

    String describeCluster() {
        StringBuilder b = new StringBuilder();
        for (SimNode n : nodes.values()) {
            b.append("  member ").append(n.id);
            if (!n.up()) {
                b.append(" down\n");
                continue;
            }
            Raft r = n.core();
            b.append(' ').append(r.state).append(" term ").append(r.term).append(" lead ").append(r.lead)
                    .append(" log [").append(r.log.firstIndex()).append(", ").append(r.log.lastIndex()).append("] committed ")
                    .append(r.log.committed()).append(" applied ").append(n.appliedIndex).append(" config ")
                    .append(r.trk.config()).append(" applied config ").append(n.confState.toString().replace('\n', ' '))
                    .append('\n');
            if (r.state == StateRole.LEADER) {
                r.trk.progress().forEach((id, pr) -> b.append("    progress ").append(id).append(": ").append(pr).append('\n'));
            }
        }
        return b.toString();
    }

    private SimNode randomLiveNode() {
        List<SimNode> live = nodes.values().stream().filter(SimNode::up).toList();
        return live.isEmpty() ? null : live.get(random.nextInt(live.size()));
    }

    private SimNode randomLeader() {
        List<SimNode> leaders = nodes.values().stream()
                .filter(n -> n.up() && n.core().state == StateRole.LEADER).toList();
        return leaders.isEmpty() ? null : leaders.get(random.nextInt(leaders.size()));
    }

    private long pick(List<Long> ids) {
        return ids.get(random.nextInt(ids.size()));
    }

    private static ConfChangeSingle change(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    private static final boolean PRINT_TRACE = Boolean.getBoolean("raft.sim.trace");

    /** A digest of every event of the run: two runs of one seed must produce the same. */
    long eventDigest() {
        return eventDigest;
    }

    private void note(String event) {
        eventDigest = eventDigest * 31 + event.hashCode();
        if (PRINT_TRACE) {
            System.out.println("[" + step + " t" + now + "] " + event);
        }
        if (trace.size() == TRACE_LENGTH) {
            trace.removeFirst();
        }
        trace.addLast("[" + step + " t" + now + "] " + event);
    }

    private static String describe(Message m) {
        StringBuilder b = new StringBuilder();
        b.append(m.getType()).append(' ').append(m.getFrom()).append("->").append(m.getTo()).append(" t").append(m.getTerm());
        if (m.getType() == MessageType.MSG_APP || m.getType() == MessageType.MSG_APP_RESP) {
            b.append(" i").append(m.getIndex()).append(" lt").append(m.getLogTerm()).append(" n").append(m.getEntriesCount())
                    .append(" c").append(m.getCommit());
            if (m.getReject()) {
                b.append(" reject hint ").append(m.getRejectHint());
            }
        } else if (m.getType() == MessageType.MSG_VOTE_RESP || m.getType() == MessageType.MSG_PRE_VOTE_RESP) {
            b.append(m.getReject() ? " rejected" : " granted");
        } else if (m.getType() == MessageType.MSG_SNAP) {
            b.append(" snap i").append(m.getSnapshot().getMetadata().getIndex());
        }
        return b.toString();
    }

    private static String describe(ConfChange cc) {
        if (cc.getChangesCount() == 0) {
            return "leave-joint";
        }
        StringBuilder b = new StringBuilder(cc.getTransition().toString()).append('[');
        for (ConfChangeSingle c : cc.getChangesList()) {
            b.append(' ').append(c.getType()).append('(').append(c.getNodeId()).append(')');
        }
        return b.append(" ]").toString();
    }
}
