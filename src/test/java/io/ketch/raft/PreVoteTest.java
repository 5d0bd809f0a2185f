package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pre-vote (thesis §9.6): ask whether an election could be won before disturbing anyone's term. */
class PreVoteTest {

    private static TestNode preVoteNode(long id, long... voters) {
        return node(config(id).preVote(true), new MemoryStorage(voters(voters)));
    }

    @Test
    void preCandidateKeepsItsTermAndAsksForVotesForTheNextOne() {
        TestNode n = preVoteNode(1, 1, 2, 3);
        tickUntilCampaign(n);
        assertEquals(StateRole.PRE_CANDIDATE, n.role());
        assertEquals(0, n.term());
        assertEquals(0, n.raft().vote);
        List<Message> asks = ofType(sent(n), MSG_PRE_VOTE);
        assertEquals(2, asks.size());
        asks.forEach(m -> assertEquals(1, m.getTerm()));
    }

    @Test
    void preCandidateWithAMajorityOfPreVotesBecomesCandidate() {
        TestNode n = preVoteNode(1, 1, 2, 3);
        n.node.campaign();
        n.node.step(msg(MSG_PRE_VOTE_RESP, 2, 1, 1).build());
        assertEquals(StateRole.CANDIDATE, n.role());
        assertEquals(1, n.term());
        assertEquals(2, ofType(sent(n), MSG_VOTE).size());
    }

    @Test
    void preCandidateRejectedByAMajorityReturnsToFollowerInTheSameTerm() {
        TestNode n = preVoteNode(1, 1, 2, 3);
        n.node.campaign();
        n.node.step(msg(MSG_PRE_VOTE_RESP, 2, 1, 0).setReject(true).build());
        n.node.step(msg(MSG_PRE_VOTE_RESP, 3, 1, 0).setReject(true).build());
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(0, n.term());
    }

    @Test
    void preVoteIsGrantedWithoutRecordingAVoteOrChangingTheTerm() {
        TestNode voter = preVoteNode(1, 1, 2, 3);
        voter.node.step(msg(MSG_PRE_VOTE, 2, 1, 1).build());
        Message answer = ofType(sent(voter), MSG_PRE_VOTE_RESP).get(0);
        assertFalse(answer.getReject());
        assertEquals(1, answer.getTerm(), "answers with the asked term so the pre-candidate accepts it");
        assertEquals(0, voter.term());
        assertEquals(0, voter.raft().vote);
    }

    @Test
    void preVoteIsRejectedForACandidateWithAStaleLog() {
        TestNode voter = node(config(1).preVote(true), storageWithLog(voters(1, 2, 3), 1, 2));
        voter.node.step(msg(MSG_PRE_VOTE, 2, 1, 3).setIndex(1).setLogTerm(1).build());
        assertTrue(ofType(sent(voter), MSG_PRE_VOTE_RESP).get(0).getReject());
    }

    @Test
    void partitionedMemberWithPreVoteDoesNotDisruptTheLeaderOnItsReturn() {
        TestCluster c = TestCluster.of(3, b -> b.preVote(true));
        c.campaign(1);
        c.isolate(3);
        c.propose(1, "missed by 3");
        c.tick(3, 100);
        assertEquals(1, c.node(3).term(), "its pre-votes failed, so it never raised its term");
        c.heal();
        c.tickAll(50);
        assertEquals(StateRole.LEADER, c.node(1).role());
        assertEquals(1, c.node(1).term());
        assertEquals(List.of("missed by 3"), c.node(3).appliedData(), "and it caught up");
    }

    @Test
    void withoutPreVoteAReturningPartitionedMemberForcesANewElection() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.isolate(3);
        c.tick(3, 100);
        assertTrue(c.node(3).term() > 1);
        c.heal();
        c.campaign(3);
        assertTrue(c.node(1).term() > 1, "the leader was deposed by the higher term");
    }
}
