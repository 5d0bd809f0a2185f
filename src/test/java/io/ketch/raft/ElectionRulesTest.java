package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Message;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Raft §5.1 (terms) and §5.2 (leader election), driven on single members. */
class ElectionRulesTest {

    // ---- §5.1 terms ----------------------------------------------------------------------

    @Test
    void followerSeeingHigherTermAdoptsItAndForgetsItsVote() {
        TestNode n = node(1, 1, 2, 3);
        n.raft().becomeFollower(2, 2);
        n.raft().vote = 2;
        n.node.step(msg(MSG_HEARTBEAT, 3, 1, 5).build());
        assertEquals(5, n.term());
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(0, n.raft().vote);
        assertEquals(3, n.raft().lead);
    }

    @Test
    void candidateSeeingHigherTermBecomesFollower() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        n.node.step(msg(MSG_APP, 2, 1, 3).build());
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(3, n.term());
        assertEquals(2, n.raft().lead);
    }

    @Test
    void leaderSeeingHigherTermStepsDown() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.step(msg(MSG_APP_RESP, 2, 1, 4).build());
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(4, n.term());
        assertEquals(0, n.raft().lead, "a response names no leader");
    }

    @Test
    void appendFromStaleTermIsIgnored() {
        TestNode n = node(1, 1, 2, 3);
        n.raft().becomeFollower(3, 2);
        n.processReady();
        n.node.step(msg(MSG_APP, 3, 1, 2).addEntries(entry(1, 2, "stale")).build());
        assertEquals(3, n.term());
        assertEquals(2, n.raft().lead);
        assertEquals(0, n.raft().log.lastIndex());
        assertTrue(sent(n).isEmpty(), "without pre-vote or check-quorum a stale message gets no answer");
    }

    @Test
    void withCheckQuorumAStaleLeaderIsToldTheNewerTerm() {
        TestNode n = node(config(1).checkQuorum(true), new MemoryStorage(voters(1, 2, 3)));
        n.raft().becomeFollower(3, 2);
        n.processReady();
        n.node.step(msg(MSG_HEARTBEAT, 3, 1, 2).build());
        List<Message> out = sent(n);
        assertEquals(1, out.size());
        assertEquals(MSG_APP_RESP, out.get(0).getType());
        assertEquals(3, out.get(0).getTerm());
    }

    @Test
    void voteRequestFromAStaleTermIsRejectedWithTheVotersTerm() {
        TestNode n = node(1, 1, 2, 3);
        n.raft().becomeFollower(5, 0);
        n.node.step(msg(MSG_VOTE, 2, 1, 3).build());
        Message answer = ofType(sent(n), MSG_VOTE_RESP).get(0);
        assertTrue(answer.getReject());
        assertEquals(5, answer.getTerm(), "so the candidate catches up with the term");
    }

    // ---- §5.2 leader election ------------------------------------------------------------

    @Test
    void followerStartsElectionAfterElectionTimeoutWithoutHearingFromLeader() {
        TestNode n = node(1, 1, 2, 3);
        tickUntilCampaign(n);
        assertEquals(StateRole.CANDIDATE, n.role());
        assertEquals(1, n.term(), "a candidate increments its term");
        assertEquals(1, n.raft().vote, "a candidate votes for itself");
        List<Message> votes = ofType(sent(n), MSG_VOTE);
        assertEquals(Set.of(2L, 3L), new HashSet<>(votes.stream().map(Message::getTo).toList()));
        votes.forEach(v -> assertEquals(1, v.getTerm()));
    }

    @Test
    void followerThatKeepsHearingFromLeaderNeverCampaigns() {
        TestNode n = node(1, 1, 2, 3);
        n.raft().becomeFollower(1, 2);
        for (int i = 0; i < 100; i++) {
            n.node.tick();
            n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).build());
        }
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(1, n.term());
    }

    @Test
    void electionTimeoutIsRandomizedBetweenOneAndTwoElectionTimeouts() {
        Set<Integer> seen = new HashSet<>();
        for (long seed = 1; seed <= 200; seed++) {
            TestNode n = node(config(1).randomSeed(seed), new MemoryStorage(voters(1, 2, 3)));
            int ticks = tickUntilCampaign(n);
            assertTrue(ticks >= 10 && ticks < 20, "timeout " + ticks);
            seen.add(ticks);
        }
        assertEquals(10, seen.size(), "every timeout in [10, 20) occurs");
    }

    @Test
    void theSameSeedGivesTheSameElectionTimeouts() {
        for (long seed = 1; seed <= 20; seed++) {
            TestNode a = node(config(1).randomSeed(seed), new MemoryStorage(voters(1, 2, 3)));
            TestNode b = node(config(1).randomSeed(seed), new MemoryStorage(voters(1, 2, 3)));
            assertEquals(tickUntilCampaign(a), tickUntilCampaign(b));
            assertEquals(tickUntilCampaign(a), tickUntilCampaign(b), "and again after the first election");
        }
    }

    @Test
    void candidateWinsWithVotesFromAMajorityIncludingItself() {
        TestNode n = node(1, 1, 2, 3, 4, 5);
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        assertEquals(StateRole.CANDIDATE, n.role(), "2 of 5 votes are not a majority");
        n.node.step(msg(MSG_VOTE_RESP, 3, 1, 1).setReject(true).build());
        assertEquals(StateRole.CANDIDATE, n.role());
        n.node.step(msg(MSG_VOTE_RESP, 4, 1, 1).build());
        assertEquals(StateRole.LEADER, n.role(), "3 of 5 votes are");
    }

    @Test
    void candidateRejectedByAMajorityReturnsToFollower() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).setReject(true).build());
        assertEquals(StateRole.CANDIDATE, n.role());
        n.node.step(msg(MSG_VOTE_RESP, 3, 1, 1).setReject(true).build());
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(1, n.term());
    }

    @Test
    void aVoterCountsOnceEvenIfItsAnswerIsDuplicated() {
        TestNode n = node(1, 1, 2, 3, 4, 5);
        n.node.campaign();
        for (int i = 0; i < 3; i++) {
            n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        }
        assertEquals(StateRole.CANDIDATE, n.role());
    }

    @Test
    void voterGrantsAtMostOneVotePerTermFirstComeFirstServed() {
        TestNode n = node(1, 1, 2, 3);
        n.node.step(msg(MSG_VOTE, 2, 1, 1).build());
        n.node.step(msg(MSG_VOTE, 3, 1, 1).build());
        n.node.step(msg(MSG_VOTE, 2, 1, 1).build());
        List<Message> answers = ofType(sent(n), MSG_VOTE_RESP);
        assertEquals(3, answers.size());
        assertFalse(answers.get(0).getReject(), "first request of the term: granted");
        assertTrue(answers.get(1).getReject(), "another candidate of the same term: rejected");
        assertFalse(answers.get(2).getReject(), "the same candidate again: granted again");
        assertEquals(2, n.raft().vote);
        assertEquals(2, n.storage.hardState().getVote(), "the vote is persisted with the answer");
    }

    @Test
    void voterThatKnowsTheLeaderOfTheTermDoesNotVote() {
        TestNode n = node(1, 1, 2, 3);
        n.raft().becomeFollower(1, 2);
        n.node.step(msg(MSG_VOTE, 3, 1, 1).build());
        assertTrue(ofType(sent(n), MSG_VOTE_RESP).get(0).getReject());
    }

    @Test
    void candidateYieldsToALeaderOfItsOwnTerm() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        n.node.step(msg(MSG_APP, 2, 1, 1).build());
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(2, n.raft().lead);
        assertEquals(1, n.term());
    }

    @Test
    void candidateWithASplitVoteStartsANewElectionInTheNextTerm() {
        TestNode n = node(1, 1, 2, 3, 4);
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.node.step(msg(MSG_VOTE_RESP, 3, 1, 1).setReject(true).build());
        tickUntilCampaign(n);
        assertEquals(StateRole.CANDIDATE, n.role());
        assertEquals(2, n.term());
        assertEquals(3, ofType(sent(n), MSG_VOTE).stream().filter(m -> m.getTerm() == 2).count());
    }

    @Test
    void newLeaderAppendsAnEmptyEntryOfItsTermAndSendsItToEveryone() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        assertEquals(1, n.raft().log.lastIndex());
        assertEquals(1, n.raft().log.lastTerm());
        assertTrue(n.storage.entries(1, 2, Long.MAX_VALUE).get(0).getData().isEmpty());
    }

    @Test
    void leaderSendsHeartbeatsEveryHeartbeatTimeout() {
        TestNode n = new TestNode(config(1).heartbeatTick(3).build(), new MemoryStorage(voters(1, 2, 3)));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.processReady();
        n.node.tick();
        n.node.tick();
        assertTrue(ofType(sent(n), MSG_HEARTBEAT).isEmpty());
        n.node.tick();
        List<Message> beats = ofType(sent(n), MSG_HEARTBEAT);
        assertEquals(2, beats.size());
        beats.forEach(b -> assertEquals(1, b.getTerm()));
    }

    @Test
    void leaderNeverStartsAnElection() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        for (int i = 0; i < 100; i++) {
            n.node.tick();
        }
        assertEquals(StateRole.LEADER, n.role());
        assertEquals(1, n.term());
    }

    @Test
    void aSingleVoterElectsItselfAtOnce() {
        TestNode n = node(1, 1);
        n.node.campaign();
        assertEquals(StateRole.LEADER, n.role());
    }

    @Test
    void threeMembersElectExactlyOneLeaderPerTerm() {
        TestCluster c = TestCluster.of(3);
        c.tickAll(40);
        long leaders = c.nodes.values().stream().filter(n -> n.role() == StateRole.LEADER).count();
        assertEquals(1, leaders);
        long term = c.leader().term();
        c.nodes.values().forEach(n -> assertEquals(term, n.term()));
    }
}
