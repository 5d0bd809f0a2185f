package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Check-quorum: a leader that has not heard from a quorum for an election timeout steps down. */
class CheckQuorumTest {

    private static TestNode checkQuorumLeader() {
        TestNode n = node(config(1).checkQuorum(true), new MemoryStorage(voters(1, 2, 3)));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.processReady();
        return n;
    }

    @Test
    void leaderThatHearsFromNoQuorumForAnElectionTimeoutStepsDown() {
        TestNode n = checkQuorumLeader();
        for (int i = 0; i < 2 * n.raft().electionTimeout; i++) {
            n.node.tick();
        }
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(1, n.term(), "stepping down does not change the term");
    }

    @Test
    void leaderThatHearsFromAQuorumStaysLeader() {
        TestNode n = checkQuorumLeader();
        for (int i = 0; i < 10 * n.raft().electionTimeout; i++) {
            n.node.tick();
            n.node.step(msg(MSG_HEARTBEAT_RESP, 2, 1, 1).build());
        }
        assertEquals(StateRole.LEADER, n.role());
    }

    @Test
    void withoutCheckQuorumAnIsolatedLeaderStaysLeader() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        for (int i = 0; i < 10 * n.raft().electionTimeout; i++) {
            n.node.tick();
        }
        assertEquals(StateRole.LEADER, n.role());
    }

    @Test
    void followerThatRecentlyHeardFromTheLeaderIgnoresVoteRequests() {
        TestNode n = node(config(1).checkQuorum(true), new MemoryStorage(voters(1, 2, 3)));
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).build());
        n.processReady();
        n.node.step(msg(MSG_VOTE, 3, 1, 2).setIndex(5).setLogTerm(1).build());
        assertEquals(1, n.term(), "the term is not raised inside the leader's lease");
        assertTrue(sent(n).isEmpty());
    }

    @Test
    void followerVotesOnceTheLeaderLeaseHasExpired() {
        TestNode n = node(config(1).checkQuorum(true), new MemoryStorage(voters(1, 2, 3)));
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).build());
        for (int i = 0; i < n.raft().electionTimeout; i++) {
            n.raft().electionElapsed++;
        }
        n.node.step(msg(MSG_VOTE, 3, 1, 2).setIndex(5).setLogTerm(1).build());
        assertEquals(2, n.term());
        assertFalse(ofType(sent(n), MSG_VOTE_RESP).get(0).getReject());
    }

    @Test
    void leaderTransferVoteRequestsOverrideTheLease() {
        TestNode n = node(config(1).checkQuorum(true), new MemoryStorage(voters(1, 2, 3)));
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).build());
        n.node.step(msg(MSG_VOTE, 3, 1, 2).setIndex(5).setLogTerm(1).setContext(Raft.CAMPAIGN_TRANSFER).build());
        assertEquals(2, n.term());
    }

    @Test
    void minorityPartitionedLeaderStepsDownAndMajorityElectsAnother() {
        TestCluster c = TestCluster.of(5, b -> b.checkQuorum(true));
        c.campaign(1);
        c.cut(1, 2);
        c.cut(1, 3);
        c.cut(1, 4);
        c.tickAll(60);
        assertNotEquals(StateRole.LEADER, c.node(1).role());
        assertNotNull(c.leader());
        assertTrue(c.leader().term() > 1);
    }
}
