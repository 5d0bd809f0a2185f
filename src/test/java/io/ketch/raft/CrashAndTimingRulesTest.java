package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Raft §5.5 (follower and candidate crashes) and §5.6 (timing and availability). */
class CrashAndTimingRulesTest {

    @Test
    void appendIsIdempotent() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1));
        Message append = msg(MSG_APP, 2, 1, 1).setIndex(1).setLogTerm(1).addEntries(entry(2, 1, "x")).setCommit(2).build();
        n.node.step(append);
        n.processReady();
        n.node.step(append);
        List<Message> answers = ofType(sent(n), MSG_APP_RESP);
        assertEquals(1, answers.size());
        assertFalse(answers.get(0).getReject(), "the repeat is acknowledged again");
        assertEquals(2, n.raft().log.lastIndex());
        assertEquals(List.of("x"), n.appliedData(), "and applied once");
    }

    @Test
    void leaderKeepsRetryingAFollowerThatMissedEntries() {
        TestCluster c = TestCluster.withFollower3Behind();
        c.tick(1, 1);
        assertEquals(List.of("a", "b"), c.node(3).appliedData(), "caught up after a heartbeat answer");
    }

    @Test
    void restartedFollowerCatchesUpFromWhatItPersisted() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "a");
        TestNode crashed = c.node(3);
        c.nodes.remove(3L);
        c.propose(1, "b");
        TestNode restarted = new TestNode(config(3).applied(crashed.raft().log.applied()).build(), crashed.storage);
        c.add(restarted);
        assertEquals(2, restarted.raft().log.lastIndex(), "it remembers what it persisted");
        c.tick(1, 1);
        assertEquals(3, restarted.raft().log.committed());
        assertEquals(List.of("b"), restarted.appliedData(), "only what it had not applied yet");
    }

    @Test
    void restartedCandidateDoesNotVoteTwiceInATerm() {
        TestNode n = node(1, 1, 2, 3);
        n.node.campaign();
        n.processReady();
        TestNode restarted = new TestNode(config(1).build(), n.storage);
        assertEquals(1, restarted.term());
        assertEquals(1, restarted.raft().vote, "its vote for itself survived the crash");
        restarted.node.step(msg(MSG_VOTE, 2, 1, 1).build());
        assertTrue(ofType(sent(restarted), MSG_VOTE_RESP).get(0).getReject());
    }

    @Test
    void electionTimeoutMustExceedTheHeartbeatInterval() {
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.builder(1).electionTick(2).heartbeatTick(2).build());
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.builder(0).build(), "0 is not an id");
    }

    @Test
    void aLeaderIsElectedWithinAFewElectionTimeoutsAfterTheLeaderCrashes() {
        TestCluster c = TestCluster.of(5);
        c.campaign(1);
        c.isolate(1);
        int ticks = 0;
        while (c.nodes.values().stream().noneMatch(n -> n.id != 1 && n.role() == StateRole.LEADER)) {
            c.tickAll(1);
            ticks++;
            assertTrue(ticks < 60, "no leader after " + ticks + " ticks");
        }
    }
}
