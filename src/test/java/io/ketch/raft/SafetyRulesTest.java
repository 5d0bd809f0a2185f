package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Raft §5.4: the election restriction, and committing entries from previous terms. */
class SafetyRulesTest {

    private static Message voteAnswer(TestNode voter, long candidateLastIndex, long candidateLastTerm) {
        voter.node.step(msg(MSG_VOTE, 2, voter.id, 10).setIndex(candidateLastIndex).setLogTerm(candidateLastTerm).build());
        return ofType(sent(voter), MSG_VOTE_RESP).get(0);
    }

    @Test
    void candidateWithLowerLastTermDoesNotGetVote() {
        TestNode voter = node(config(1), storageWithLog(voters(1, 2, 3), 1, 2));
        assertTrue(voteAnswer(voter, 5, 1).getReject(), "a longer log of an older last term is less up-to-date");
    }

    @Test
    void candidateWithSameLastTermButShorterLogDoesNotGetVote() {
        TestNode voter = node(config(1), storageWithLog(voters(1, 2, 3), 1, 2, 2));
        assertTrue(voteAnswer(voter, 2, 2).getReject());
    }

    @Test
    void candidateWithSameLastTermAndAtLeastAsLongLogGetsVote() {
        TestNode voter = node(config(1), storageWithLog(voters(1, 2, 3), 1, 2, 2));
        assertFalse(voteAnswer(voter, 3, 2).getReject());
    }

    @Test
    void candidateWithHigherLastTermGetsVoteEvenWithShorterLog() {
        TestNode voter = node(config(1), storageWithLog(voters(1, 2, 3), 1, 2, 2));
        assertFalse(voteAnswer(voter, 2, 3).getReject());
    }

    @Test
    void rejectedVoteStillAdvancesTheVotersTerm() {
        TestNode voter = node(config(1), storageWithLog(voters(1, 2, 3), 1, 2, 2));
        voteAnswer(voter, 1, 1);
        assertEquals(10, voter.term());
        assertEquals(0, voter.raft().vote);
    }

    /**
     * Figure 8: a leader of term 4 that replicates an entry of term 2 to a majority must not
     * consider it committed; only once an entry of term 4 is stored on a majority are both.
     */
    @Test
    void leaderCommitsOnlyEntriesFromItsCurrentTermByCounting() {
        TestNode leader = node(config(1), storageWithLog(voters(1, 2, 3, 4, 5), 1, 2));
        leader.raft().term = 3;
        leader.node.campaign();
        for (long v = 2; v <= 3; v++) {
            leader.node.step(msg(MSG_VOTE_RESP, v, 1, 4).build());
        }
        assertEquals(StateRole.LEADER, leader.role());
        assertEquals(4, leader.term());
        leader.processReady();
        // Followers 2 and 3 acknowledge index 2 (term 2), not yet the leader's entry at 3 (term 4).
        leader.node.step(msg(MSG_APP_RESP, 2, 1, 4).setIndex(2).build());
        leader.node.step(msg(MSG_APP_RESP, 3, 1, 4).setIndex(2).build());
        assertEquals(0, leader.raft().log.committed(), "a majority holds index 2, but its term is 2, not 4");
        leader.node.step(msg(MSG_APP_RESP, 2, 1, 4).setIndex(3).build());
        leader.node.step(msg(MSG_APP_RESP, 3, 1, 4).setIndex(3).build());
        assertEquals(3, leader.raft().log.committed(), "committing index 3 (term 4) commits index 2 indirectly");
    }

    @Test
    void entriesOfAnOldTermAreCommittedByTheNewLeadersFirstEntry() {
        TestNode leader = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1));
        TestNode f2 = node(config(2), storageWithLog(voters(1, 2, 3), 1));
        TestNode f3 = node(config(3), storageWithLog(voters(1, 2, 3), 1));
        leader.raft().term = 1;
        f2.raft().term = 1;
        f3.raft().term = 1;
        TestCluster c = new TestCluster().add(leader).add(f2).add(f3);
        c.campaign(1);
        assertEquals(StateRole.LEADER, leader.role());
        assertEquals(4, leader.raft().log.committed(), "old entries 2, 3 and the new empty entry 4");
        for (TestNode n : c.nodes.values()) {
            assertEquals(4, n.raft().log.committed());
        }
    }

    @Test
    void aNewLeaderHoldsEveryCommittedEntry() {
        TestCluster c = TestCluster.of(5);
        c.campaign(1);
        c.isolate(5);
        c.propose(1, "committed");
        assertEquals(2, c.node(1).raft().log.committed());
        // Member 5 missed the entry: it cannot become leader, since a majority holds a newer log.
        c.isolate(1);
        c.heal();
        c.isolate(1);
        c.campaign(5);
        assertNotEquals(StateRole.LEADER, c.node(5).role());
        c.campaign(2);
        assertEquals(StateRole.LEADER, c.node(2).role());
        assertEquals(List.of("committed"), c.node(2).appliedData().subList(0, 1));
    }
}
