package io.ketch.raft;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.Snapshot;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the safety properties of Raft (Figure 3 of the paper) over a simulated cluster,
 * incrementally, as the simulator reports what each member does:
 * <ul>
 *   <li>Election Safety: at most one leader per term.</li>
 *   <li>Log Matching: two logs holding an entry with the same index and term hold the same
 *       entries up to it. Checked as: every (index, term) ever written to any log has one
 *       content and one predecessor term, which implies the property by induction; plus a
 *       direct pairwise comparison of live logs at the end of a run.</li>
 *   <li>Leader Completeness: an entry known committed while the highest term anyone had was
 *       T is in the log of every leader of a term above T.</li>
 *   <li>State Machine Safety: no two members apply different entries at one index (and a
 *       snapshot installs exactly the state its index had everywhere else).</li>
 *   <li>Linearizable reads: a ReadIndex answer is at least the highest commit index any
 *       member knew when the read was issued.</li>
 * </ul>
 */
final class SafetyChecker {
    private record IndexTerm(long index, long term) {
    }

    /** What the first log to hold an (index, term) held there, and before it (0 = unknown). */
    private static final class Written {
        final Entry entry;
        long previousTerm;

        Written(Entry entry, long previousTerm) {
            this.entry = entry;
            this.previousTerm = previousTerm;
        }
    }

    private record PendingRead(long node, long mustCoverIndex) {
    }

    private final Map<Long, Long> leaderOfTerm = new HashMap<>();
    private final Map<IndexTerm, Written> written = new HashMap<>();
    /** appliedEntries.get(i): the entry applied at index i, wherever it was applied first. */
    private final Map<Long, Entry> appliedEntries = new HashMap<>();
    /** stateHashAt.get(i): the state machine's hash after applying index i. */
    private final Map<Long, Long> stateHashAt = new HashMap<>();
    /** Highest commit index any member has persisted. */
    private long commitFrontier;
    /** For index i <= commitFrontier: the highest term known to anyone when i was first known committed (index i-1). */
    private final List<Long> termWhenCommitted = new ArrayList<>();
    /** For index i <= commitFrontier: the term of the committed entry at i, if known (0 if not). */
    private final List<Long> committedTerm = new ArrayList<>();
    /** Per leader (member, term): committed indexes below this were checked against its log. */
    private final Map<IndexTerm, Long> leaderCheckedUpTo = new HashMap<>();
    private final Map<ByteString, PendingRead> pendingReads = new HashMap<>();
    private final Map<Long, Long> lastCommitSeen = new HashMap<>();

    int readsServed;
    int entriesApplied;
    long maxTermSeen;

    SafetyChecker(long bootstrapIndex) {
        stateHashAt.put(bootstrapIndex, 0L);
        commitFrontier = bootstrapIndex;
        for (long i = 1; i <= bootstrapIndex; i++) {
            termWhenCommitted.add(0L);
            committedTerm.add(0L);
        }
    }

    long commitFrontier() {
        return commitFrontier;
    }

    /** The per-step checks over all live members. */
    void afterStep(Collection<SimNode> nodes) {
        long highestTerm = maxTermSeen;
        for (SimNode n : nodes) {
            if (n.up()) {
                highestTerm = Math.max(highestTerm, n.core().term);
            }
        }
        maxTermSeen = highestTerm;
        for (SimNode n : nodes) {
            if (!n.up()) {
                lastCommitSeen.remove(n.id);
                continue;
            }
            Raft r = n.core();
            checkElectionSafety(n, r);
            checkLocalInvariants(n, r);
            advanceCommitFrontier(n, highestTerm);
        }
        for (SimNode n : nodes) {
            if (n.up() && n.core().state == StateRole.LEADER) {
                checkLeaderCompleteness(n, n.core());
            }
        }
    }

    private void checkElectionSafety(SimNode n, Raft r) {
        if (r.state != StateRole.LEADER) {
            return;
        }
        Long previous = leaderOfTerm.putIfAbsent(r.term, n.id);
        if (previous != null && previous != n.id) {
            throw new SafetyViolation("Election Safety: members " + previous + " and " + n.id + " both led term " + r.term);
        }
    }

    private void checkLocalInvariants(SimNode n, Raft r) {
        RaftLog log = r.log;
        if (!(log.applied() <= log.committed() && log.committed() <= log.lastIndex())) {
            throw new SafetyViolation("member " + n.id + ": applied " + log.applied() + " <= committed " + log.committed()
                    + " <= last " + log.lastIndex() + " does not hold");
        }
        Long before = lastCommitSeen.put(n.id, log.committed());
        if (before != null && log.committed() < before) {
            throw new SafetyViolation("member " + n.id + ": commit index went back from " + before + " to " + log.committed());
        }
    }

    /**
     * Commitment is observed on disk, not in memory: a lone voter counts its own entry as
     * committed before persisting it, and may lose both in a crash; nothing of it was visible
     * to anyone, since the driver applies and answers only after persisting.
     */
    private void advanceCommitFrontier(SimNode n, long highestTerm) {
        Raft r = n.core();
        long committed = n.disk.hardState().getCommit();
        while (commitFrontier < committed) {
            commitFrontier++;
            termWhenCommitted.add(highestTerm);
            Entry applied = appliedEntries.get(commitFrontier);
            committedTerm.add(applied != null ? applied.getTerm() : r.log.termOrZero(commitFrontier));
        }
    }

    private void checkLeaderCompleteness(SimNode n, Raft r) {
        IndexTerm key = new IndexTerm(n.id, r.term);
        long from = leaderCheckedUpTo.getOrDefault(key, 0L) + 1;
        for (long i = Math.max(from, r.log.firstIndex()); i <= commitFrontier; i++) {
            if (termWhenCommitted.get((int) i - 1) >= r.term) {
                continue;
            }
            long expected = committedTerm.get((int) i - 1);
            Entry applied = appliedEntries.get(i);
            if (applied != null) {
                expected = applied.getTerm();
            }
            if (i > r.log.lastIndex()) {
                throw new SafetyViolation("Leader Completeness: leader " + n.id + " of term " + r.term
                        + " lacks committed index " + i + " (last index " + r.log.lastIndex() + ")");
            }
            long actual = r.log.termOrZero(i);
            if (expected != 0 && actual != 0 && actual != expected) {
                throw new SafetyViolation("Leader Completeness: leader " + n.id + " of term " + r.term + " has term " + actual
                        + " at committed index " + i + ", committed entry has term " + expected);
            }
        }
        leaderCheckedUpTo.put(key, commitFrontier);
    }

    /** entries were just persisted by n (they are now in its log). */
    void onEntriesWritten(SimNode n, List<Entry> entries) {
        Raft r = n.core();
        for (Entry e : entries) {
            long previousTerm = r.log.termOrZero(e.getIndex() - 1);
            IndexTerm key = new IndexTerm(e.getIndex(), e.getTerm());
            Written w = written.get(key);
            if (w == null) {
                written.put(key, new Written(e, previousTerm));
                continue;
            }
            if (!w.entry.equals(e)) {
                throw new SafetyViolation("Log Matching: member " + n.id + " wrote a different entry at index " + e.getIndex()
                        + " term " + e.getTerm() + ": " + brief(e) + " vs " + brief(w.entry));
            }
            if (previousTerm != 0 && w.previousTerm != 0 && previousTerm != w.previousTerm) {
                throw new SafetyViolation("Log Matching: at index " + e.getIndex() + " term " + e.getTerm() + " member " + n.id
                        + " has term " + previousTerm + " before it, another log had " + w.previousTerm);
            }
            if (w.previousTerm == 0) {
                w.previousTerm = previousTerm;
            }
        }
    }

    /** n applies e (before updating its state machine). */
    void onApply(SimNode n, Entry e) {
        if (e.getIndex() != n.appliedIndex + 1) {
            throw new SafetyViolation("member " + n.id + " applied index " + e.getIndex() + " after " + n.appliedIndex);
        }
        Entry first = appliedEntries.putIfAbsent(e.getIndex(), e);
        if (first != null && !first.equals(e)) {
            throw new SafetyViolation("State Machine Safety: member " + n.id + " applied " + brief(e) + " at index "
                    + e.getIndex() + " where another member applied " + brief(first));
        }
        entriesApplied++;
    }

    void onApplied(SimNode n) {
        Long hash = stateHashAt.putIfAbsent(n.appliedIndex, n.appliedHash);
        if (hash != null && hash != n.appliedHash) {
            throw new SafetyViolation("State Machine Safety: member " + n.id + " reached a different state at index " + n.appliedIndex);
        }
    }

    void onSnapshotInstalled(SimNode n, Snapshot s) {
        long index = s.getMetadata().getIndex();
        Long hash = stateHashAt.get(index);
        if (hash == null || hash != SimNode.hashOf(s.getData())) {
            throw new SafetyViolation("State Machine Safety: member " + n.id + " installed a snapshot at index " + index
                    + " whose state differs from the state others reached there");
        }
    }

    void onReadIssued(long node, ByteString ctx) {
        pendingReads.put(ctx, new PendingRead(node, commitFrontier));
    }

    void onReadState(SimNode n, ReadState rs) {
        PendingRead read = pendingReads.remove(rs.requestContext());
        if (read == null) {
            return; // a duplicate answer to a read already checked
        }
        if (read.node() != n.id) {
            throw new SafetyViolation("read issued at member " + read.node() + " answered at member " + n.id);
        }
        if (rs.index() < read.mustCoverIndex()) {
            throw new SafetyViolation("Linearizable read: member " + n.id + " got read index " + rs.index()
                    + " but index " + read.mustCoverIndex() + " was committed before the read was issued");
        }
        readsServed++;
    }

    /** Direct Log Matching check between every two live logs. */
    void checkLogsMatch(Collection<SimNode> nodes) {
        List<SimNode> live = nodes.stream().filter(SimNode::up).toList();
        for (int a = 0; a < live.size(); a++) {
            for (int b = a + 1; b < live.size(); b++) {
                compareLogs(live.get(a), live.get(b));
            }
        }
    }

    private void compareLogs(SimNode a, SimNode b) {
        RaftLog la = a.core().log;
        RaftLog lb = b.core().log;
        long lo = Math.max(la.firstIndex(), lb.firstIndex());
        long hi = Math.min(la.lastIndex(), lb.lastIndex());
        long lastAgreement = 0;
        for (long i = hi; i >= lo; i--) {
            if (la.termOrZero(i) == lb.termOrZero(i)) {
                lastAgreement = i;
                break;
            }
        }
        if (lastAgreement == 0) {
            return;
        }
        List<Entry> ea = la.slice(lo, lastAgreement + 1, RaftLog.NO_LIMIT);
        List<Entry> eb = lb.slice(lo, lastAgreement + 1, RaftLog.NO_LIMIT);
        if (!ea.equals(eb)) {
            throw new SafetyViolation("Log Matching: members " + a.id + " and " + b.id + " agree on the term at index "
                    + lastAgreement + " but their logs differ before it");
        }
    }

    private static String brief(Entry e) {
        return "{" + e.getIndex() + "/" + e.getTerm() + " " + e.getType() + " " + e.getData().size() + "B}";
    }
}
