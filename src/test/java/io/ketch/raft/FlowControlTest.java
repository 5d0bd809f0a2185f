package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-follower flow control: probe, replicate (bounded in messages and bytes), snapshot. */
class FlowControlTest {

    private static TestNode leader(RaftConfig.Builder config) {
        TestNode n = node(config, new MemoryStorage(voters(1, 2)));
        n.node.campaign();
        n.node.step(msg(MSG_VOTE_RESP, 2, 1, 1).build());
        n.processReady();
        return n;
    }

    private static Progress progressOf2(TestNode leader) {
        return leader.raft().trk.progress(2);
    }

    @Test
    void probingFollowerGetsOneAppendUntilItAnswers() {
        TestNode n = leader(config(1));
        assertEquals(ProgressState.PROBE, progressOf2(n).state);
        for (int i = 0; i < 5; i++) {
            n.node.propose(bytes("x" + i));
        }
        assertTrue(ofType(sent(n), MSG_APP).isEmpty(), "the probe of the empty entry is still unanswered");
        n.node.tick();
        assertEquals(1, ofType(sent(n), MSG_HEARTBEAT).size(), "heartbeats still flow");
        n.node.step(msg(MSG_HEARTBEAT_RESP, 2, 1, 1).build());
        assertEquals(1, ofType(sent(n), MSG_APP).size(), "a heartbeat answer allows one more probe");
    }

    @Test
    void acceptedProbeSwitchesToReplicateAndStreams() {
        TestNode n = leader(config(1).maxSizePerMsg(1));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        assertEquals(ProgressState.REPLICATE, progressOf2(n).state);
        n.processReady();
        for (int i = 0; i < 3; i++) {
            n.node.propose(bytes("x" + i));
        }
        assertEquals(3, ofType(sent(n), MSG_APP).size(), "one append per proposal without waiting");
    }

    @Test
    void replicationPausesAtMaxInflightMessages() {
        TestNode n = leader(config(1).maxInflightMsgs(3));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        for (int i = 0; i < 10; i++) {
            n.node.propose(bytes("x" + i));
        }
        assertEquals(3, ofType(sent(n), MSG_APP).size());
        assertTrue(progressOf2(n).isPaused());
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(2).build());
        List<Message> resumed = ofType(sent(n), MSG_APP);
        assertEquals(1, resumed.size(), "one acknowledged, one more may fly");
        assertEquals(7, resumed.get(0).getEntriesCount(), "the rest of the log in one message");
    }

    @Test
    void replicationPausesAtMaxInflightBytes() {
        TestNode n = leader(config(1).maxSizePerMsg(10).maxInflightBytes(30));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        for (int i = 0; i < 10; i++) {
            n.node.propose(bytes("12345678"));
        }
        List<Message> apps = ofType(sent(n), MSG_APP);
        long bytesSent = apps.stream().mapToLong(m -> Entries.encodedSize(m.getEntriesList())).sum();
        assertTrue(apps.size() < 10, "paused before sending everything");
        assertTrue(bytesSent >= 30 && bytesSent < 30 + 20, "bytes in flight: " + bytesSent);
        assertTrue(progressOf2(n).isPaused());
    }

    @Test
    void maxSizePerMsgLimitsEntriesPerAppendButAlwaysSendsOne() {
        TestNode n = leader(config(1).maxSizePerMsg(1));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        n.node.propose(bytes("a big entry beyond the message size"));
        List<Message> apps = ofType(sent(n), MSG_APP);
        assertEquals(1, apps.size());
        assertEquals(1, apps.get(0).getEntriesCount());
    }

    @Test
    void heartbeatAnswerFreesOneSlotOfAFullWindow() {
        TestNode n = leader(config(1).maxInflightMsgs(1));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.processReady();
        n.node.propose(bytes("a"));
        n.node.propose(bytes("b"));
        assertEquals(1, ofType(sent(n), MSG_APP).size());
        n.node.step(msg(MSG_HEARTBEAT_RESP, 2, 1, 1).build());
        assertEquals(1, ofType(sent(n), MSG_APP).size(), "the stalled window reopens by one");
    }

    @Test
    void rejectionWhileReplicatingFallsBackToProbing() {
        TestNode n = leader(config(1));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.node.propose(bytes("a"));
        n.node.propose(bytes("b"));
        n.processReady();
        assertEquals(4, progressOf2(n).next, "optimistically past both");
        // The follower lost the first append and rejects the second (previous index 2).
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(2).setReject(true).setRejectHint(1).setLogTerm(1).build());
        assertEquals(ProgressState.PROBE, progressOf2(n).state);
        assertEquals(2, progressOf2(n).next, "resends from the entry after match");
    }

    @Test
    void staleRejectionIsIgnored() {
        TestNode n = leader(config(1));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.node.propose(bytes("a"));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(2).build());
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).setReject(true).setRejectHint(0).build());
        assertEquals(ProgressState.REPLICATE, progressOf2(n).state);
        assertEquals(2, progressOf2(n).match);
    }

    @Test
    void unreachableFollowerIsProbedAgain() {
        TestNode n = leader(config(1));
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.node.reportUnreachable(2);
        assertEquals(ProgressState.PROBE, progressOf2(n).state);
    }

    @Test
    void inflightsFreeInOrderAndTrackBytes() {
        Inflights in = new Inflights(3, 100);
        in.add(5, 10);
        in.add(7, 20);
        in.add(9, 30);
        assertTrue(in.full());
        in.freeLE(7);
        assertEquals(1, in.count());
        assertEquals(30, in.bytes());
        in.freeFirstOne();
        assertEquals(0, in.count());
        in.add(10, 100);
        assertTrue(in.full(), "full by bytes");
    }
}
