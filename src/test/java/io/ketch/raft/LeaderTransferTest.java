package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Leadership transfer (thesis §3.10): catch the target up, then make it time out at once. */
class LeaderTransferTest {

    @Test
    void transferToAnUpToDateFollowerHappensAtOnce() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.node(1).node.transferLeader(2);
        c.stabilize();
        assertEquals(StateRole.LEADER, c.node(2).role());
        assertEquals(2, c.node(2).term());
        assertEquals(StateRole.FOLLOWER, c.node(1).role());
        assertEquals(1, c.deliveredOfType(MSG_TIMEOUT_NOW).size());
    }

    @Test
    void laggingTargetIsCaughtUpBeforeItIsToldToCampaign() {
        TestCluster c = TestCluster.withFollower3Behind();
        c.dropIf(m -> m.getTo() == 3 && m.getType() == MSG_APP);
        c.node(1).node.transferLeader(3);
        c.stabilize();
        assertEquals(StateRole.LEADER, c.node(1).role(), "not yet: 3 lacks entries");
        assertTrue(c.deliveredOfType(MSG_TIMEOUT_NOW).isEmpty());
        c.heal();
        c.tick(1, 1);
        assertEquals(StateRole.LEADER, c.node(3).role());
        assertEquals(java.util.List.of("a", "b"), c.node(3).appliedData());
    }

    @Test
    void proposalsAreDroppedWhileATransferIsInProgress() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.transferLeader(2);
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("x")));
    }

    @Test
    void transferNotCompletedWithinAnElectionTimeoutIsAbandoned() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.transferLeader(2);
        assertEquals(2, n.node.status().leadTransferee());
        for (int i = 0; i < n.raft().electionTimeout; i++) {
            n.node.tick();
        }
        assertEquals(0, n.node.status().leadTransferee());
        assertEquals(StateRole.LEADER, n.role());
        n.node.propose(bytes("accepted again"));
    }

    @Test
    void transferToALearnerOrToItselfIsIgnored() {
        MemoryStorage s = new MemoryStorage(io.ketch.pb.raft.ConfState.newBuilder().addVoters(1).addVoters(2).addLearners(3).build());
        TestNode n = node(config(1), s);
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.node.transferLeader(3);
        assertEquals(0, n.node.status().leadTransferee());
        n.node.transferLeader(1);
        assertEquals(0, n.node.status().leadTransferee());
    }

    @Test
    void followerForwardsATransferRequestToTheLeader() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.node(3).node.transferLeader(3);
        c.stabilize();
        assertEquals(StateRole.LEADER, c.node(3).role());
    }

    @Test
    void timeoutNowSkipsPreVoteAndTheLeaderLease() {
        TestCluster c = TestCluster.of(3, b -> b.preVote(true).checkQuorum(true));
        c.campaign(1);
        c.delivered.clear();
        c.node(1).node.transferLeader(2);
        c.stabilize();
        assertEquals(StateRole.LEADER, c.node(2).role());
        assertTrue(c.deliveredOfType(MSG_PRE_VOTE).isEmpty());
        assertFalse(c.deliveredOfType(MSG_VOTE).isEmpty());
    }

    @Test
    void newTransferRequestReplacesThePendingOne() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.transferLeader(2);
        n.node.transferLeader(3);
        assertEquals(3, n.node.status().leadTransferee());
    }
}
