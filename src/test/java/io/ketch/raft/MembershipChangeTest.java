package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.ConfChangeType.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfChangeSingle;
import io.ketch.pb.raft.ConfChangeTransition;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.HardState;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Membership changes: one at a time, taking effect when applied; a single voter change uses
 * the simple protocol, anything more goes through joint consensus.
 */
class MembershipChangeTest {

    private static ConfChange cc(ConfChangeSingle... changes) {
        return ConfChange.newBuilder().addAllChanges(List.of(changes)).build();
    }

    private static ConfChangeSingle ch(ConfChangeType type, long id) {
        return ConfChanger.change(type, id);
    }

    private static List<Long> votersOf(TestNode n) {
        return List.copyOf(n.raft().trk.config().voters().incoming().ids());
    }

    private static Entry lastEntry(TestNode n) {
        return n.raft().log.slice(n.raft().log.lastIndex(), n.raft().log.lastIndex() + 1, Long.MAX_VALUE).get(0);
    }

    @Test
    void addedVoterCountsOnlyOnceTheChangeIsApplied() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        n.node.proposeConfChange(cc(ch(ADD_NODE, 4)));
        n.processReady();
        assertEquals(List.of(1L, 2L, 3L), votersOf(n), "appended, not yet applied");
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(2).build());
        n.processReady();
        assertEquals(List.of(1L, 2L, 3L, 4L), votersOf(n));
        assertEquals(List.of(1L, 2L, 3L, 4L), n.confState.getVotersList());
    }

    @Test
    void leaderRefusesASecondChangeWhileOneIsUnapplied() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        n.node.proposeConfChange(cc(ch(ADD_NODE, 4)));
        n.node.proposeConfChange(cc(ch(ADD_NODE, 5)));
        assertEquals(EntryType.CONF_CHANGE, n.raft().log.slice(2, 3, Long.MAX_VALUE).get(0).getType());
        Entry second = lastEntry(n);
        assertEquals(EntryType.NORMAL, second.getType(), "the second change became an empty entry");
        assertTrue(second.getData().isEmpty());
    }

    @Test
    void newLeaderAdmitsNoChangeUntilItAppliedEverythingItHeldWhenElected() {
        TestNode n = node(config(1), storageWithLog(RaftTests.voters(1, 2, 3), 1, 1));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 2).build());
        n.processReady();
        n.node.proposeConfChange(cc(ch(ADD_NODE, 4)));
        assertEquals(EntryType.NORMAL, lastEntry(n).getType(), "entries 1-2 might hold an unapplied change");
        n.node.step(msg(MSG_APP_RESP, 2, 1, 2).setIndex(4).build());
        n.processReady();
        n.node.proposeConfChange(cc(ch(ADD_NODE, 4)));
        assertEquals(EntryType.CONF_CHANGE, lastEntry(n).getType());
    }

    @Test
    void memberWithACommittedButUnappliedChangeDoesNotCampaign() {
        MemoryStorage s = new MemoryStorage(RaftTests.voters(1, 2, 3));
        s.append(List.of(Entry.newBuilder().setIndex(1).setTerm(1).setType(EntryType.CONF_CHANGE)
                .setData(cc(ch(ADD_NODE, 4)).toByteString()).build()));
        s.setHardState(HardState.newBuilder().setTerm(1).setCommit(1).build());
        TestNode n = node(config(1), s);
        n.node.campaign();
        assertEquals(StateRole.FOLLOWER, n.role(), "it would count votes with a stale membership");
        n.processReady();
        n.node.campaign();
        assertEquals(StateRole.CANDIDATE, n.role());
        assertEquals(3, ofType(sent(n), MSG_VOTE).size(), "asks the new member too");
    }

    @Test
    void jointConfigurationCommitsOnlyWithAMajorityOfBothHalves() {
        ConfState joint = ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).addAllVotersOutgoing(List.of(1L, 4L, 5L)).build();
        TestNode n = node(config(1), new MemoryStorage(joint));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.node.step(msg(MSG_VOTE_RESP, 3, 1, 1).build());
        assertEquals(StateRole.CANDIDATE, n.role(), "a majority of the incoming half only");
        n.node.step(msg(MSG_VOTE_RESP, 4, 1, 1).build());
        assertEquals(StateRole.LEADER, n.role());
        n.processReady();
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.node.step(msg(MSG_APP_RESP, 3, 1, 1).setIndex(1).build());
        assertEquals(0, n.raft().log.committed());
        n.node.step(msg(MSG_APP_RESP, 5, 1, 1).setIndex(1).build());
        assertEquals(1, n.raft().log.committed());
    }

    @Test
    void replacingAVoterGoesThroughJointConsensusAndLeavesItAutomatically() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.addJoiner(4);
        c.campaign(1);
        c.node(1).node.proposeConfChange(cc(ch(ADD_NODE, 4), ch(REMOVE_NODE, 3)));
        c.stabilize();
        for (long id : List.of(1L, 2L, 4L)) {
            TestNode n = c.node(id);
            assertEquals(List.of(1L, 2L, 4L), n.confState.getVotersList(), "member " + id);
            assertEquals(0, n.confState.getVotersOutgoingCount(), "member " + id + " left the joint config");
        }
        long confEntries = c.node(1).applied.stream().filter(e -> e.getType() == EntryType.CONF_CHANGE).count();
        assertEquals(2, confEntries, "enter joint, then leave joint");
        c.propose(1, "after");
        assertEquals(List.of("after"), c.node(4).appliedData());
    }

    @Test
    void explicitJointConfigurationStaysUntilTheApplicationLeavesIt() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.addJoiner(4);
        c.campaign(1);
        c.node(1).node.proposeConfChange(cc(ch(ADD_NODE, 4), ch(REMOVE_NODE, 3)).toBuilder()
                .setTransition(ConfChangeTransition.JOINT_EXPLICIT).build());
        c.stabilize();
        assertEquals(List.of(1L, 2L, 3L), c.node(1).confState.getVotersOutgoingList());
        c.node(1).node.proposeConfChange(ConfChange.getDefaultInstance());
        c.stabilize();
        assertEquals(0, c.node(1).confState.getVotersOutgoingCount());
        assertEquals(List.of(1L, 2L, 4L), c.node(1).confState.getVotersList());
    }

    @Test
    void removedLeaderHandsLeadershipToAVoterOfTheNewMembership() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.campaign(1);
        c.node(1).node.proposeConfChange(cc(ch(REMOVE_NODE, 1)));
        c.stabilize();
        TestNode leader = c.leader();
        assertNotNull(leader);
        assertNotEquals(1, leader.id);
        assertEquals(List.of(2L, 3L), leader.confState.getVotersList());
        c.propose(leader.id, "after");
        assertEquals(List.of("after"), c.node(leader.id == 2 ? 3 : 2).appliedData());
    }

    @Test
    void removedLeaderRefusesProposalsUntilItHasHandedOver() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.applyConfChange(cc(ch(REMOVE_NODE, 1)));
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("x")));
    }

    @Test
    void changeThatWouldRemoveTheLastVoterIsRefused() {
        TestNode n = node(1, 1);
        n.node.campaign();
        n.processReady();
        n.node.proposeConfChange(cc(ch(REMOVE_NODE, 1)));
        assertEquals(EntryType.NORMAL, lastEntry(n).getType());
    }

    @Test
    void leavingAJointConfigurationThatIsNotJointIsRefused() {
        TestNode n = node(1, 1);
        n.node.campaign();
        n.processReady();
        n.node.proposeConfChange(ConfChange.getDefaultInstance());
        assertEquals(EntryType.NORMAL, lastEntry(n).getType());
    }

    @Test
    void candidateLearnsFromAVoteAnswerThatAChangeItHoldsIsCommitted() {
        TestNode n = node(config(1), storageWithLog(RaftTests.voters(1, 2, 3), 1, 1, 1));
        n.node.campaign();
        assertEquals(0, n.raft().log.committed());
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 2).setReject(true).setCommit(3).setLogTerm(9).build());
        assertEquals(0, n.raft().log.committed(), "its entry at 3 has another term: not the same entry");
        n.node.step(msg(MSG_VOTE_RESP, 3, 1, 2).setReject(true).setCommit(3).setLogTerm(1).build());
        assertEquals(3, n.raft().log.committed());
    }

    @Test
    void voteRejectionCarriesTheVotersCommitIndex() {
        TestNode voter = node(config(1), storageWithLog(RaftTests.voters(1, 2, 3), 1, 1));
        voter.node.step(msg(MSG_APP, 2, 1, 1).setIndex(2).setLogTerm(1).setCommit(2).build());
        voter.processReady();
        voter.node.step(msg(MSG_VOTE, 3, 1, 2).setIndex(1).setLogTerm(1).build());
        var answer = ofType(sent(voter), MSG_VOTE_RESP).get(0);
        assertTrue(answer.getReject());
        assertEquals(2, answer.getCommit());
        assertEquals(1, answer.getLogTerm());
    }

    @Test
    void demotedVoterBecomesALearner() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        ConfState cs = n.node.applyConfChange(cc(ch(ADD_LEARNER_NODE, 3)));
        assertEquals(List.of(1L, 2L), cs.getVotersList());
        assertEquals(List.of(3L), cs.getLearnersList());
    }

    @Test
    void leaderStopsReplicatingToARemovedMember() {
        TestCluster c = TestCluster.bootstrapped(3, b -> b);
        c.campaign(1);
        c.node(1).node.proposeConfChange(cc(ch(REMOVE_NODE, 3)));
        c.stabilize();
        c.delivered.clear();
        c.propose(1, "after");
        assertTrue(c.delivered.stream().noneMatch(m -> m.getTo() == 3));
    }

    @Test
    void joiningMemberGetsTheInitialMembershipFromTheBootstrapSnapshot() {
        TestCluster c = TestCluster.bootstrapped(1, b -> b);
        TestNode joiner = c.addJoiner(2);
        c.campaign(1);
        c.node(1).node.proposeConfChange(cc(ch(ADD_NODE, 2)));
        c.stabilize();
        assertEquals(List.of(1L, 2L), joiner.confState.getVotersList());
        assertEquals(1, joiner.storage.snapshot().getMetadata().getIndex());
    }
}
