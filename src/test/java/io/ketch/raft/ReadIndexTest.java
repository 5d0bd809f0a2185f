package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ReadIndex (thesis §6.4): linearizable reads without writing to the log. */
class ReadIndexTest {

    @Test
    void leaderAnswersOnlyAfterAQuorumAcknowledgesAHeartbeatCarryingTheRequest() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3, 4, 5);
        for (long f = 2; f <= 3; f++) {
            n.node.step(msg(MSG_APP_RESP, f, 1, 1).setIndex(1).build());
        }
        n.processReady();
        n.node.readIndex(bytes("r1"));
        List<Message> beats = ofType(sent(n), MSG_HEARTBEAT);
        assertEquals(4, beats.size());
        beats.forEach(b -> assertEquals(bytes("r1"), b.getContext()));
        assertTrue(n.readStates.isEmpty());
        n.node.step(msg(MSG_HEARTBEAT_RESP, 2, 1, 1).setContext(bytes("r1")).build());
        n.processReady();
        assertTrue(n.readStates.isEmpty(), "leader and one follower are not a quorum of 5");
        n.node.step(msg(MSG_HEARTBEAT_RESP, 3, 1, 1).setContext(bytes("r1")).build());
        n.processReady();
        assertEquals(List.of(new ReadState(1, bytes("r1"))), n.readStates);
    }

    @Test
    void readIndexIsTheCommitIndexWhenTheRequestArrived() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "a");
        c.propose(1, "b");
        c.node(1).node.readIndex(bytes("r"));
        c.stabilize();
        assertEquals(List.of(new ReadState(3, bytes("r"))), c.node(1).readStates);
    }

    @Test
    void newLeaderDefersReadsUntilItCommitsAnEntryOfItsTerm() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.processReady();
        n.node.readIndex(bytes("early"));
        assertTrue(ofType(sent(n), MSG_HEARTBEAT).isEmpty(), "its commit index may still be behind");
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        List<Message> beats = ofType(sent(n), MSG_HEARTBEAT);
        assertEquals(2, beats.size(), "released once the empty entry of its term committed");
        n.node.step(msg(MSG_HEARTBEAT_RESP, 2, 1, 1).setContext(bytes("early")).build());
        n.processReady();
        assertEquals(List.of(new ReadState(1, bytes("early"))), n.readStates);
    }

    @Test
    void followerForwardsTheReadAndGetsTheLeadersReadIndex() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "a");
        c.node(2).node.readIndex(bytes("from-2"));
        c.stabilize();
        assertEquals(List.of(new ReadState(2, bytes("from-2"))), c.node(2).readStates);
        assertTrue(c.node(1).readStates.isEmpty());
    }

    @Test
    void singleVoterAnswersAtOnce() {
        TestNode n = node(1, 1);
        n.node.campaign();
        n.processReady();
        n.node.readIndex(bytes("r"));
        n.processReady();
        assertEquals(List.of(new ReadState(1, bytes("r"))), n.readStates);
    }

    @Test
    void leaderCutOffFromTheQuorumNeverAnswers() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.isolate(1);
        c.node(1).node.readIndex(bytes("r"));
        c.tick(1, 5);
        assertTrue(c.node(1).readStates.isEmpty());
    }

    @Test
    void aQuorumAcknowledgingALaterRequestAnswersTheEarlierOnesToo() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        n.node.readIndex(bytes("first"));
        n.node.readIndex(bytes("second"));
        n.processReady();
        n.node.step(msg(MSG_HEARTBEAT_RESP, 2, 1, 1).setContext(bytes("second")).build());
        n.processReady();
        assertEquals(List.of(new ReadState(1, bytes("first")), new ReadState(1, bytes("second"))), n.readStates);
    }

    @Test
    void followerWithoutALeaderDropsTheRead() {
        TestNode n = node(1, 1, 2, 3);
        n.node.readIndex(bytes("r"));
        assertTrue(sent(n).isEmpty());
    }
}
