package io.ketch.server;

import io.ketch.pb.etcdserver.Member;
import io.ketch.raft.Status;
import io.ketch.raft.node.RaftNode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Learners that promote themselves (beyond etcd; its issue 15107), with
 * {@code --experimental-auto-promote-learners}: every half second the leader looks at each
 * learner, and one that has stayed in sync ({@link MembershipChanges#inSync}) for
 * {@code --experimental-auto-promote-learners-after} is promoted through the same
 * configuration change as MemberPromote, one at a time, and only when the promotion keeps a
 * quorum of healthy voters. A learner that falls behind starts its wait again.
 */
final class LearnerAutoPromoter {
    private static final Logger LOG = Logger.getLogger(LearnerAutoPromoter.class);
    private static final long CHECK_EVERY_MS = 500;

    private final MembershipChanges changes;
    private final RaftNode raft;
    private final long afterNanos;
    /** Learner ID → System.nanoTime() since when it has been seen in sync (timer thread; cleared after a promotion). */
    private final Map<Long, Long> inSyncSince = new ConcurrentHashMap<>();
    private final AtomicBoolean promoting = new AtomicBoolean();

    LearnerAutoPromoter(MembershipChanges changes, RaftNode raft, long afterNanos) {
        this.changes = changes;
        this.raft = raft;
        this.afterNanos = afterNanos;
    }

    void start(ScheduledExecutorService timer) {
        timer.scheduleWithFixedDelay(this::check, CHECK_EVERY_MS, CHECK_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            List<Member> learners = changes.learners();
            if (!raft.isLeader() || learners.isEmpty()) {
                inSyncSince.clear();
                return;
            }
            Status status = raft.status().get(1, TimeUnit.SECONDS);
            long now = System.nanoTime();
            inSyncSince.keySet().retainAll(learners.stream().map(Member::getID).toList());
            for (Member m : learners) {
                if (!MembershipChanges.inSync(status, m.getID())) {
                    inSyncSince.remove(m.getID());
                    continue;
                }
                long since = inSyncSince.computeIfAbsent(m.getID(), id -> now);
                if (now - since >= afterNanos && changes.promotionKeepsHealthyQuorum(m.getID())
                        && promoting.compareAndSet(false, true)) {
                    promote(m, (now - since) / 1_000_000);
                    return; // one at a time
                }
            }
        } catch (Exception e) {
            LOG.warnf("checking learners for promotion failed: %s", e.toString());
        }
    }

    private void promote(Member m, long inSyncMs) {
        LOG.infof("promoting learner %s (%s): in sync with the leader for %d ms", MemberIdentity.hex(m.getID()),
                m.getName(), inSyncMs);
        changes.promoteHere(m.getID()).whenComplete((r, e) -> {
            promoting.set(false);
            inSyncSince.clear();
            if (e != null) {
                LOG.warnf("promoting learner %s failed: %s", MemberIdentity.hex(m.getID()), e.getMessage());
            } else {
                LOG.infof("promoted learner %s to a voting member", MemberIdentity.hex(m.getID()));
            }
        });
    }
}
