package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.Snapshot;
import io.ketch.pb.raft.SnapshotMetadata;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshots and log compaction (§7): a follower behind the compacted log gets a snapshot. */
class SnapshotTest {

    private static Snapshot snapshot(long index, long term, ConfState cs) {
        return Snapshot.newBuilder().setData(bytes("state@" + index))
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term).setConfState(cs)).build();
    }

    private static void compactLeader(TestNode leader) {
        long applied = leader.raft().log.applied();
        leader.storage.createSnapshot(applied, leader.confState, bytes("state@" + applied));
        leader.storage.compact(applied);
    }

    @Test
    void followerBehindTheCompactedLogReceivesASnapshotAndThenTheLog() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.campaign(1);
        c.isolate(3);
        for (int i = 0; i < 5; i++) {
            c.propose(1, "e" + i);
        }
        compactLeader(c.node(1));
        c.heal();
        c.tick(1, 1);
        assertEquals(1, c.deliveredOfType(MSG_SNAP).size());
        TestNode follower = c.node(3);
        assertEquals(c.node(1).raft().log.applied(), follower.storage.snapshot().getMetadata().getIndex());
        assertEquals(bytes("state@" + c.node(1).raft().log.applied()), follower.storage.snapshot().getData());
        c.propose(1, "after");
        assertEquals(List.of("after"), follower.appliedData());
        assertEquals(ProgressState.REPLICATE, c.node(1).raft().trk.progress(3).state);
    }

    @Test
    void snapshotReplacesTheLogAndInstallsItsMembership() {
        TestNode n = node(1, 1, 2, 3);
        ConfState four = voters(1, 2, 3, 4);
        n.node.step(msg(MSG_SNAP, 2, 1, 2).setSnapshot(snapshot(10, 2, four)).build());
        assertEquals(10, n.raft().log.committed());
        assertEquals(11, n.raft().log.firstIndex());
        assertEquals(four, n.node.status().config());
        Message answer = ofType(sent(n), MSG_APP_RESP).get(0);
        assertEquals(10, answer.getIndex());
        assertEquals(10, n.storage.snapshot().getMetadata().getIndex(), "handed to the driver to persist");
    }

    @Test
    void snapshotAtOrBelowTheCommitIndexIsIgnored() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 1).setIndex(3).setLogTerm(1).setCommit(3).build());
        n.processReady();
        n.node.step(msg(MSG_SNAP, 2, 1, 1).setSnapshot(snapshot(2, 1, voters(1, 2, 3))).build());
        Message answer = ofType(sent(n), MSG_APP_RESP).get(0);
        assertEquals(3, answer.getIndex(), "answers with its commit index");
        assertEquals(0, n.storage.snapshot().getMetadata().getIndex());
    }

    @Test
    void snapshotWhoseLastEntryWeHoldOnlyAdvancesTheCommitIndex() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1, 1));
        n.node.step(msg(MSG_SNAP, 2, 1, 1).setSnapshot(snapshot(3, 1, voters(1, 2, 3))).build());
        assertEquals(3, n.raft().log.committed());
        assertEquals(4, n.raft().log.lastIndex(), "the entry after it is kept");
        n.processReady();
        assertEquals(0, n.storage.snapshot().getMetadata().getIndex(), "nothing to install");
    }

    @Test
    void leaderSendsNothingElseWhileASnapshotIsInFlight() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.campaign(1);
        c.isolate(3);
        c.propose(1, "a");
        compactLeader(c.node(1));
        c.heal();
        c.dropIf(m -> m.getType() == MSG_SNAP);
        c.tick(1, 1);
        Progress pr = c.node(1).raft().trk.progress(3);
        assertEquals(ProgressState.SNAPSHOT, pr.state);
        c.delivered.clear();
        c.propose(1, "b");
        assertTrue(c.delivered.stream().noneMatch(m -> m.getTo() == 3 && m.getType() == MSG_APP));
    }

    @Test
    void failedSnapshotReturnsTheFollowerToProbingFromItsMatch() {
        TestNode n = leaderOfTerm1(1, 1, 2);
        Progress pr = n.raft().trk.progress(2);
        pr.becomeSnapshot(7);
        n.node.reportSnapshot(2, SnapshotStatus.FAILURE);
        assertEquals(ProgressState.PROBE, pr.state);
        assertEquals(0, pr.pendingSnapshot);
        assertEquals(pr.match + 1, pr.next);
        assertTrue(pr.probeSent, "waits a heartbeat interval before trying again");
    }

    @Test
    void finishedSnapshotProbesRightAfterIt() {
        TestNode n = leaderOfTerm1(1, 1, 2);
        Progress pr = n.raft().trk.progress(2);
        pr.becomeSnapshot(7);
        n.node.reportSnapshot(2, SnapshotStatus.FINISH);
        assertEquals(ProgressState.PROBE, pr.state);
        assertEquals(8, pr.next);
    }

    @Test
    void leaderDoesNotShipASnapshotToAMemberItHasNotHeardFromLately() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.campaign(1);
        c.isolate(3);
        c.propose(1, "a");
        compactLeader(c.node(1));
        c.node(1).raft().trk.progress(3).recentActive = false;
        c.node(1).raft().leader().sendAppend(3);
        assertTrue(c.node(1).processReady().stream().noneMatch(m -> m.getType() == MSG_SNAP));
    }

    @Test
    void memoryStorageCompactionKeepsTheTermOfTheCompactedIndex() {
        MemoryStorage s = storageWithLog(voters(1), 1, 2, 3);
        s.createSnapshot(2, voters(1), bytes("s"));
        s.compact(2);
        assertEquals(3, s.firstIndex());
        assertEquals(2, s.term(2));
        assertThrows(LogCompactedException.class, () -> s.term(1));
        assertThrows(LogCompactedException.class, () -> s.entries(2, 4, Long.MAX_VALUE));
        assertEquals(1, s.entries(3, 4, Long.MAX_VALUE).size());
    }
}
