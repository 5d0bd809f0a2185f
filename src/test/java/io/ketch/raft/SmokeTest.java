package io.ketch.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void threeMembersElectALeaderAndReplicateAProposal() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        assertEquals(StateRole.LEADER, c.node(1).role());
        c.propose(1, "x");
        for (TestNode n : c.nodes.values()) {
            assertEquals(java.util.List.of("x"), n.appliedData(), "member " + n.id);
        }
    }
}
