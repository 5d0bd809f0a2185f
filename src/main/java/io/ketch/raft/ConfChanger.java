package io.ketch.raft;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfChangeSingle;
import io.ketch.pb.raft.ConfChangeTransition;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.pb.raft.ConfState;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes the membership that results from a {@link ConfChange}, without touching the
 * tracker it starts from. Two protocols:
 * <ul>
 *   <li>simple: at most one voter is added or removed (any number of learner changes), so
 *       every majority of the old voters intersects every majority of the new ones;</li>
 *   <li>joint consensus: the old voters stay as the outgoing half, and until the joint
 *       configuration is left every decision needs a majority of both halves.</li>
 * </ul>
 *
 * @throws IllegalArgumentException for a change that is not allowed from the current config
 */
final class ConfChanger {
    /** A membership and the progress of each of its members, ready to install. */
    record Result(TrackerConfig config, SortedMap<Long, Progress> progress) {
    }

    private final ProgressTracker tracker;
    private final long lastIndex;

    ConfChanger(ProgressTracker tracker, long lastIndex) {
        this.tracker = tracker;
        this.lastIndex = lastIndex;
    }

    /** Whether cc leaves a joint configuration (it carries no changes). */
    static boolean leavesJoint(ConfChange cc) {
        return cc.getChangesCount() == 0;
    }

    /** Whether cc must use joint consensus: an explicit request, or more than one change. */
    static boolean entersJoint(ConfChange cc) {
        return cc.getTransition() != ConfChangeTransition.AUTO || cc.getChangesCount() > 1;
    }

    static boolean autoLeaves(ConfChange cc) {
        return cc.getTransition() != ConfChangeTransition.JOINT_EXPLICIT;
    }

    Result apply(ConfChange cc) {
        if (leavesJoint(cc)) {
            return leaveJoint();
        }
        if (entersJoint(cc)) {
            return enterJoint(autoLeaves(cc), cc.getChangesList());
        }
        return simple(cc.getChangesList());
    }

    Result enterJoint(boolean autoLeave, List<ConfChangeSingle> changes) {
        Mutable m = copy();
        if (m.isJoint()) {
            throw new IllegalArgumentException("config is already joint");
        }
        if (m.incoming.isEmpty()) {
            throw new IllegalArgumentException("can't make a zero-voter config joint");
        }
        m.outgoing.addAll(m.incoming);
        m.applyAll(changes);
        m.autoLeave = autoLeave;
        return m.checkedResult();
    }

    Result leaveJoint() {
        Mutable m = copy();
        if (!m.isJoint()) {
            throw new IllegalArgumentException("can't leave a non-joint config");
        }
        for (long id : m.learnersNext) {
            m.learners.add(id);
            m.progress.get(id).isLearner = true;
        }
        m.learnersNext.clear();
        for (long id : m.outgoing) {
            if (!m.incoming.contains(id) && !m.learners.contains(id)) {
                m.progress.remove(id);
            }
        }
        m.outgoing.clear();
        m.autoLeave = false;
        return m.checkedResult();
    }

    Result simple(List<ConfChangeSingle> changes) {
        Mutable m = copy();
        if (m.isJoint()) {
            throw new IllegalArgumentException("can't apply simple config change in joint config");
        }
        m.applyAll(changes);
        SortedSet<Long> before = tracker.config().voters().incoming().ids();
        int changed = 0;
        for (long id : before) {
            if (!m.incoming.contains(id)) {
                changed++;
            }
        }
        for (long id : m.incoming) {
            if (!before.contains(id)) {
                changed++;
            }
        }
        if (changed > 1) {
            throw new IllegalArgumentException("more than one voter changed without entering joint config");
        }
        return m.checkedResult();
    }

    /**
     * Rebuilds the membership recorded in a ConfState (from a snapshot or at startup) by
     * replaying it as a sequence of changes from the empty configuration.
     */
    static Result restore(ConfState cs, ProgressTracker emptyTracker, long lastIndex) {
        List<ConfChangeSingle> outgoing = new ArrayList<>();
        List<ConfChangeSingle> incoming = new ArrayList<>();
        for (long id : cs.getVotersOutgoingList()) {
            outgoing.add(change(ConfChangeType.ADD_NODE, id));
        }
        // The incoming half starts as a copy of the outgoing voters; remove them, then add
        // the incoming members.
        for (long id : cs.getVotersOutgoingList()) {
            incoming.add(change(ConfChangeType.REMOVE_NODE, id));
        }
        for (long id : cs.getVotersList()) {
            incoming.add(change(ConfChangeType.ADD_NODE, id));
        }
        for (long id : cs.getLearnersList()) {
            incoming.add(change(ConfChangeType.ADD_LEARNER_NODE, id));
        }
        for (long id : cs.getLearnersNextList()) {
            incoming.add(change(ConfChangeType.ADD_LEARNER_NODE, id));
        }
        ProgressTracker t = emptyTracker;
        Result r = new Result(TrackerConfig.EMPTY, new TreeMap<>());
        if (outgoing.isEmpty()) {
            for (ConfChangeSingle c : incoming) {
                r = new ConfChanger(t, lastIndex).simple(List.of(c));
                t = trackerWith(t, r);
            }
            return r;
        }
        for (ConfChangeSingle c : outgoing) {
            r = new ConfChanger(t, lastIndex).simple(List.of(c));
            t = trackerWith(t, r);
        }
        return new ConfChanger(t, lastIndex).enterJoint(cs.getAutoLeave(), incoming);
    }

    private static ProgressTracker trackerWith(ProgressTracker base, Result r) {
        ProgressTracker t = new ProgressTracker(base.maxInflight, base.maxInflightBytes);
        t.setConfig(r.config(), r.progress());
        return t;
    }

    static ConfChangeSingle change(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    private Mutable copy() {
        Mutable m = new Mutable();
        TrackerConfig c = tracker.config();
        m.incoming.addAll(c.voters().incoming().ids());
        m.outgoing.addAll(c.voters().outgoing().ids());
        m.learners.addAll(c.learners());
        m.learnersNext.addAll(c.learnersNext());
        m.autoLeave = c.autoLeave();
        tracker.progress().forEach((id, pr) -> m.progress.put(id, pr.copy()));
        return m;
    }

    /** A working copy of a membership being changed. */
    private final class Mutable {
        final SortedSet<Long> incoming = new TreeSet<>();
        final SortedSet<Long> outgoing = new TreeSet<>();
        final SortedSet<Long> learners = new TreeSet<>();
        final SortedSet<Long> learnersNext = new TreeSet<>();
        final SortedMap<Long, Progress> progress = new TreeMap<>();
        boolean autoLeave;

        boolean isJoint() {
            return !outgoing.isEmpty();
        }

        void applyAll(List<ConfChangeSingle> changes) {
            for (ConfChangeSingle c : changes) {
                long id = c.getNodeId();
                if (id == 0) {
                    continue;
                }
                switch (c.getType()) {
                    case ADD_NODE -> makeVoter(id);
                    case ADD_LEARNER_NODE -> makeLearner(id);
                    case REMOVE_NODE -> remove(id);
                    case UPDATE_NODE -> {
                    }
                    default -> throw new IllegalArgumentException("unexpected conf change type " + c.getType());
                }
            }
            if (incoming.isEmpty()) {
                throw new IllegalArgumentException("removed all voters");
            }
        }

        void makeVoter(long id) {
            Progress pr = progress.get(id);
            if (pr == null) {
                initProgress(id, false);
                return;
            }
            pr.isLearner = false;
            learners.remove(id);
            learnersNext.remove(id);
            incoming.add(id);
        }

        /**
         * A voter that is still in the outgoing half cannot become a learner before the joint
         * configuration is left (it would be a voter and a learner at once): it is parked in
         * learnersNext.
         */
        void makeLearner(long id) {
            Progress pr = progress.get(id);
            if (pr == null) {
                initProgress(id, true);
                return;
            }
            if (pr.isLearner) {
                return;
            }
            remove(id);
            progress.put(id, pr);
            if (outgoing.contains(id)) {
                learnersNext.add(id);
            } else {
                pr.isLearner = true;
                learners.add(id);
            }
        }

        void remove(long id) {
            if (!progress.containsKey(id)) {
                return;
            }
            incoming.remove(id);
            learners.remove(id);
            learnersNext.remove(id);
            // An outgoing voter keeps its progress until the joint configuration is left.
            if (!outgoing.contains(id)) {
                progress.remove(id);
            }
        }

        void initProgress(long id, boolean isLearner) {
            if (isLearner) {
                learners.add(id);
            } else {
                incoming.add(id);
            }
            // A new member is probed from the leader's last index; it counts as active so
            // that adding it cannot make check-quorum depose the leader at once.
            Progress pr = new Progress(0, Math.max(lastIndex, 1), tracker.newInflights(), isLearner);
            pr.recentActive = true;
            progress.put(id, pr);
        }

        Result checkedResult() {
            for (long id : incoming) {
                requireProgress(id);
            }
            for (long id : outgoing) {
                requireProgress(id);
            }
            for (long id : learners) {
                requireProgress(id);
                if (incoming.contains(id) || outgoing.contains(id)) {
                    throw new IllegalArgumentException(id + " is a learner and a voter");
                }
                if (!progress.get(id).isLearner) {
                    throw new IllegalArgumentException(id + " is in learners but not marked as learner");
                }
            }
            for (long id : learnersNext) {
                requireProgress(id);
                if (!outgoing.contains(id)) {
                    throw new IllegalArgumentException(id + " is in learners_next but not an outgoing voter");
                }
                if (progress.get(id).isLearner) {
                    throw new IllegalArgumentException(id + " is in learners_next but already marked as learner");
                }
            }
            if (!isJoint() && (!learnersNext.isEmpty() || autoLeave)) {
                throw new IllegalArgumentException("learners_next and auto_leave need a joint config");
            }
            TrackerConfig config = new TrackerConfig(
                    new JointConfig(new MajorityConfig(incoming), new MajorityConfig(outgoing)),
                    learners, learnersNext, autoLeave);
            return new Result(config, progress);
        }

        private void requireProgress(long id) {
            if (!progress.containsKey(id)) {
                throw new IllegalStateException("no progress for " + id);
            }
        }
    }
}
