package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver contract: what ready() hands over, and what advance() acknowledges. */
class RawNodeTest {

    @Test
    void readyReportsTheHardStateOnlyWhenItChanged() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        Ready first = n.node.ready();
        assertEquals(HardState.newBuilder().setTerm(1).setVote(1).build(), first.hardState().orElseThrow());
        assertTrue(first.mustSync(), "a new term and vote must be durable before the vote requests go out");
        n.node.advance(first);
        n.node.tick();
        assertFalse(n.node.hasReady());
    }

    @Test
    void commitIndexAloneNeedsNoSync() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1));
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).setCommit(2).build());
        Ready rd = n.node.ready();
        assertEquals(2, rd.hardState().orElseThrow().getCommit());
        assertFalse(rd.mustSync());
    }

    @Test
    void messagesAndReadStatesAreHandedOverOnce() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        Ready rd = n.node.ready();
        assertEquals(2, rd.messages().size());
        n.node.advance(rd);
        assertTrue(n.node.ready().messages().isEmpty());
    }

    @Test
    void entriesAndCommittedEntriesAreHandedOutUntilAdvanced() {
        TestNode n = node(1, 1);
        n.node.campaign();
        Ready first = n.node.ready();
        Ready again = n.node.ready();
        assertEquals(first.entries(), again.entries());
        assertEquals(first.committedEntries(), again.committedEntries());
        n.node.advance(again);
        assertFalse(n.node.hasReady());
        assertEquals(1, n.node.status().applied());
    }

    @Test
    void localMessageTypesCannotArriveFromTheNetwork() {
        TestNode n = node(1, 1, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> n.node.step(msg(MSG_HUP, 2, 1, 0).build()));
        assertThrows(IllegalArgumentException.class, () -> n.node.step(msg(MSG_CHECK_QUORUM, 2, 1, 0).build()));
    }

    @Test
    void answersFromNonMembersAreIgnored() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.step(msg(MSG_APP_RESP, 9, 1, 5).setIndex(1).build());
        assertEquals(StateRole.LEADER, n.role());
        assertEquals(1, n.term());
    }

    @Test
    void restartResumesFromWhatWasPersisted() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "x");
        TestNode before = c.node(2);
        RawNode restarted = new RawNode(config(2).applied(2).build(), before.storage);
        Status s = restarted.status();
        assertEquals(before.storage.hardState(), s.hardState());
        assertEquals(2, restarted.raft().log.lastIndex());
        assertEquals(StateRole.FOLLOWER, s.softState().role());
        assertFalse(restarted.hasReady(), "already applied: nothing to hand out");
    }

    @Test
    void restartRedeliversCommittedEntriesAfterTheAppliedIndex() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "x");
        RawNode restarted = new RawNode(config(2).build(), c.node(2).storage);
        Ready rd = restarted.ready();
        assertEquals(List.of(bytes(""), bytes("x")), rd.committedEntries().stream().map(e -> e.getData()).toList());
    }

    @Test
    void theSameInputsGiveTheSameOutputs() {
        List<Message> first = scriptedRun();
        List<Message> second = scriptedRun();
        assertEquals(first, second);
        assertTrue(first.size() > 50);
    }

    private static List<Message> scriptedRun() {
        TestCluster c = TestCluster.of(5, b -> b.preVote(true).checkQuorum(true));
        c.tickAll(30);
        TestNode leader = c.leader();
        for (int i = 0; i < 5; i++) {
            c.propose(leader.id, "p" + i);
        }
        c.isolate(leader.id);
        c.tickAll(40);
        c.heal();
        c.tickAll(10);
        return c.delivered;
    }

    @Test
    void statusShowsTheLeadersViewOfEveryMember() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "x");
        Status s = c.node(1).node.status();
        assertEquals(3, s.progress().size());
        s.progress().values().forEach(p -> assertEquals(2, p.match()));
        assertTrue(c.node(2).node.status().progress().isEmpty(), "followers track no progress");
    }
}
