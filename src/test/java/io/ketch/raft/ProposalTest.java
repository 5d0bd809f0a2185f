package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Proposals: forwarded by followers, bounded by the uncommitted log size. */
class ProposalTest {

    @Test
    void followerForwardsAProposalToTheLeader() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(2, "via follower");
        assertEquals(1, c.deliveredOfType(MSG_PROP).size());
        c.nodes.values().forEach(n -> assertEquals(List.of("via follower"), n.appliedData()));
    }

    @Test
    void followerWithoutALeaderDropsTheProposal() {
        TestNode n = node(1, 1, 2, 3);
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("x")));
    }

    @Test
    void candidateDropsTheProposal() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("x")));
    }

    @Test
    void forwardingCanBeDisabled() {
        TestNode n = node(config(1).disableProposalForwarding(true), new MemoryStorage(voters(1, 2, 3)));
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).build());
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("x")));
    }

    @Test
    void leaderDropsProposalsBeyondTheUncommittedSizeBound() {
        TestNode n = node(config(1).maxUncommittedEntriesSize(10), new MemoryStorage(voters(1, 2, 3)));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.node.propose(bytes("12345"));
        n.node.propose(bytes("12345"));
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("1")));
        n.processReady();
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(3).build());
        n.processReady();
        n.node.propose(bytes("12345"));
    }

    @Test
    void anEmptyUncommittedTailAdmitsOneOversizedProposal() {
        TestNode n = node(config(1).maxUncommittedEntriesSize(4), new MemoryStorage(voters(1, 2, 3)));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.node.propose(bytes("much more than four bytes"));
        assertThrows(ProposalDroppedException.class, () -> n.node.propose(bytes("x")));
    }

    @Test
    void proposalsOfAFollowerReachTheLeaderOnlyAfterItsReadyIsCarriedOut() {
        TestNode n = node(1, 1, 2, 3);
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).build());
        n.processReady();
        n.node.propose(bytes("x"));
        assertTrue(n.node.hasReady());
        var forwarded = ofType(sent(n), MSG_PROP);
        assertEquals(1, forwarded.size());
        assertEquals(2, forwarded.get(0).getTo());
        assertEquals(0, forwarded.get(0).getTerm(), "proposals travel without a term");
    }
}
