package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.ConfState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Learners receive the log but never campaign, and never count in a quorum. */
class LearnerTest {

    private static final ConfState TWO_VOTERS_ONE_LEARNER =
            ConfState.newBuilder().addVoters(1).addVoters(2).addLearners(3).build();

    private static TestCluster clusterWithLearner3() {
        TestCluster c = new TestCluster();
        for (long id = 1; id <= 3; id++) {
            c.add(node(config(id), new MemoryStorage(TWO_VOTERS_ONE_LEARNER)));
        }
        return c;
    }

    @Test
    void learnerReceivesAndAppliesTheLog() {
        TestCluster c = clusterWithLearner3();
        c.campaign(1);
        c.propose(1, "x");
        assertEquals(List.of("x"), c.node(3).appliedData());
    }

    @Test
    void learnerNeverCampaigns() {
        TestNode n = node(config(3), new MemoryStorage(TWO_VOTERS_ONE_LEARNER));
        for (int i = 0; i < 100; i++) {
            n.node.tick();
        }
        n.node.campaign();
        assertEquals(StateRole.FOLLOWER, n.role());
        assertEquals(0, n.term());
        assertTrue(sent(n).isEmpty());
    }

    @Test
    void learnerDoesNotCountTowardsCommitment() {
        TestNode leader = node(config(1), new MemoryStorage(TWO_VOTERS_ONE_LEARNER));
        leader.node.campaign();
        leader.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        leader.processReady();
        leader.node.step(msg(MSG_APP_RESP, 3, 1, 1).setIndex(1).build());
        assertEquals(0, leader.raft().log.committed(), "leader + learner are not a majority of {1, 2}");
        leader.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        assertEquals(1, leader.raft().log.committed());
    }

    @Test
    void candidateDoesNotCountALearnersVote() {
        TestNode n = node(config(1), new MemoryStorage(
                ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(4).addLearners(3).build()));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 3, 1, 1).build());
        assertEquals(StateRole.CANDIDATE, n.role());
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        assertEquals(StateRole.LEADER, n.role());
    }

    @Test
    void candidatesDoNotAskLearnersForVotes() {
        TestNode n = node(config(1), new MemoryStorage(TWO_VOTERS_ONE_LEARNER));
        n.node.campaign();
        assertEquals(List.of(2L), ofType(sent(n), MSG_VOTE).stream().map(m -> m.getTo()).toList());
    }

    @Test
    void learnerPromotedToVoterCanCampaign() {
        TestCluster c = clusterWithLearner3();
        c.campaign(1);
        c.node(1).node.proposeConfChange(io.ketch.pb.raft.ConfChange.newBuilder()
                .addChanges(ConfChanger.change(io.ketch.pb.raft.ConfChangeType.ADD_NODE, 3)).build());
        c.stabilize();
        assertEquals(List.of(1L, 2L, 3L), c.node(3).confState.getVotersList());
        c.campaign(3);
        assertEquals(StateRole.LEADER, c.node(3).role());
    }
}
