package io.ketch.raft;

import static io.ketch.raft.RaftTests.*;
import static io.ketch.pb.raft.MessageType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Raft §5.3: log replication, the AppendEntries consistency check, and commitment. */
class LogReplicationRulesTest {

    @Test
    void leaderAppendsProposalToItsLogAndSendsItToFollowers() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(1).build());
        n.node.step(msg(MSG_APP_RESP, 3, 1, 1).setIndex(1).build());
        n.processReady();
        n.node.propose(bytes("x"));
        List<Message> apps = ofType(sent(n), MSG_APP);
        assertEquals(2, apps.size());
        for (Message m : apps) {
            assertEquals(1, m.getIndex(), "previous index");
            assertEquals(1, m.getLogTerm(), "previous term");
            assertEquals(List.of(entry(2, 1, "x")), m.getEntriesList());
        }
        assertEquals(entry(2, 1, "x"), n.storage.entries(2, 3, Long.MAX_VALUE).get(0), "persisted before sending");
    }

    @Test
    void leaderCommitsAnEntryOnceAMajorityStoredIt() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3, 4, 5);
        n.node.propose(bytes("x"));
        n.processReady();
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(2).build());
        assertEquals(0, n.raft().log.committed(), "2 of 5");
        n.node.step(msg(MSG_APP_RESP, 3, 1, 1).setIndex(2).build());
        assertEquals(2, n.raft().log.committed(), "3 of 5");
        n.processReady();
        assertEquals(List.of("x"), n.appliedData());
    }

    @Test
    void committingAnEntryCommitsAllPrecedingEntries() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.propose(bytes("a"));
        n.node.propose(bytes("b"));
        n.node.propose(bytes("c"));
        n.processReady();
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(4).build());
        assertEquals(4, n.raft().log.committed());
        n.processReady();
        assertEquals(List.of("a", "b", "c"), n.appliedData());
    }

    @Test
    void leaderTellsFollowersItsCommitIndexAndTheyApply() {
        TestCluster c = TestCluster.of(3);
        c.campaign(1);
        c.propose(1, "x");
        for (TestNode n : c.nodes.values()) {
            assertEquals(2, n.raft().log.committed(), "member " + n.id);
            assertEquals(List.of("x"), n.appliedData(), "member " + n.id);
        }
    }

    @Test
    void followerAcceptsEntriesWhenItHoldsTheEntryBeforeThem() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 2).setIndex(2).setLogTerm(1).addEntries(entry(3, 2, "x")).setCommit(3).build());
        Message resp = ofType(sent(n), MSG_APP_RESP).get(0);
        assertFalse(resp.getReject());
        assertEquals(3, resp.getIndex());
        assertEquals(3, n.raft().log.committed());
    }

    @Test
    void followerRejectsEntriesWhenItsEntryBeforeThemHasAnotherTerm() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 3).setIndex(2).setLogTerm(2).addEntries(entry(3, 3, "x")).build());
        Message resp = ofType(sent(n), MSG_APP_RESP).get(0);
        assertTrue(resp.getReject());
        assertEquals(2, resp.getIndex(), "names the rejected previous index");
        assertEquals(2, n.raft().log.lastIndex(), "nothing appended");
    }

    @Test
    void followerRejectsEntriesWhenItLacksTheEntryBeforeThem() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1));
        n.node.step(msg(MSG_APP, 2, 1, 2).setIndex(3).setLogTerm(1).addEntries(entry(4, 2, "x")).build());
        Message resp = ofType(sent(n), MSG_APP_RESP).get(0);
        assertTrue(resp.getReject());
        assertEquals(1, resp.getRejectHint(), "hints at its last index");
    }

    @Test
    void followerDeletesConflictingEntryAndAllThatFollowIt() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 2).setIndex(2).setLogTerm(1)
                .addEntries(entry(3, 2, "new3")).build());
        n.processReady();
        assertEquals(3, n.raft().log.lastIndex());
        assertEquals(List.of(entry(1, 1), entry(2, 1), entry(3, 2, "new3")), n.storage.entries(1, 4, Long.MAX_VALUE));
    }

    @Test
    void followerKeepsEntriesThatFollowWhenTheAppendHoldsNothingNew() {
        // A delayed append must not truncate entries that arrived after it.
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 1).setIndex(1).setLogTerm(1).addEntries(entry(2, 1)).build());
        assertEquals(3, n.raft().log.lastIndex());
    }

    @Test
    void followerNeverCommitsBeyondTheLastEntryTheAppendCovered() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1));
        // Our entries after index 2 may differ from the leader's: its commit index 3 covers only what it sent.
        n.node.step(msg(MSG_APP, 2, 1, 2).setIndex(1).setLogTerm(1).addEntries(entry(2, 1)).setCommit(3).build());
        assertEquals(2, n.raft().log.committed());
    }

    @Test
    void heartbeatNeverTellsAFollowerToCommitBeyondWhatItIsKnownToHold() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.propose(bytes("x"));
        n.processReady();
        n.node.step(msg(MSG_APP_RESP, 2, 1, 1).setIndex(2).build());
        n.processReady();
        n.node.tick();
        for (Message hb : ofType(sent(n), MSG_HEARTBEAT)) {
            assertEquals(hb.getTo() == 2 ? 2 : 0, hb.getCommit(), "to " + hb.getTo());
        }
    }

    @Test
    void leaderNeverOverwritesOrDeletesItsOwnEntries() {
        TestNode n = leaderOfTerm1(1, 1, 2, 3);
        n.node.propose(bytes("mine"));
        n.processReady();
        // An append from a leader of the same term cannot exist; one of an older term is ignored.
        n.node.step(msg(MSG_APP, 2, 1, 0).setIndex(1).setLogTerm(1).addEntries(entry(2, 0, "theirs")).build());
        assertEquals(entry(2, 1, "mine"), n.raft().log.slice(2, 3, Long.MAX_VALUE).get(0));
    }

    @Test
    void leaderBringsADivergentFollowersLogIntoAgreementWithItsOwn() {
        // Figure 7 (f): the follower has entries of terms 2 and 3 that the leader never had.
        TestNode leader = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1, 4, 4, 5, 5, 6, 6, 6));
        TestNode follower = node(config(2), storageWithLog(voters(1, 2, 3), 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3));
        TestNode third = node(config(3), storageWithLog(voters(1, 2, 3), 1, 1, 1, 4, 4, 5, 5, 6, 6, 6));
        TestCluster c = new TestCluster().add(leader).add(follower).add(third);
        leader.raft().term = 6;
        c.campaign(1);
        assertEquals(StateRole.LEADER, leader.role());
        c.propose(1, "x");
        List<Entry> expected = leader.raft().log.allEntries();
        assertEquals(expected, follower.raft().log.allEntries());
        assertEquals(12, follower.raft().log.committed());
    }

    @Test
    void rejectionHintLetsTheLeaderSkipAWholeConflictingTermPerRoundTrip() {
        // Both hold 50 entries after index 1, of term 2 on the follower and term 3 on the
        // leader: probing one index per round trip would take 50 rejections.
        long[] followerTerms = new long[51];
        long[] leaderTerms = new long[51];
        java.util.Arrays.fill(followerTerms, 2);
        java.util.Arrays.fill(leaderTerms, 3);
        followerTerms[0] = 1;
        leaderTerms[0] = 1;
        TestNode leader = node(config(1), storageWithLog(voters(1, 2, 3), leaderTerms));
        TestNode follower = node(config(2), storageWithLog(voters(1, 2, 3), followerTerms));
        TestNode third = node(config(3), storageWithLog(voters(1, 2, 3), leaderTerms));
        TestCluster c = new TestCluster().add(leader).add(follower).add(third);
        for (TestNode n : c.nodes.values()) {
            n.raft().term = 3;
        }
        c.campaign(1);
        assertEquals(StateRole.LEADER, leader.role());
        long rejections = c.delivered.stream()
                .filter(m -> m.getType() == MSG_APP_RESP && m.getFrom() == 2 && m.getReject()).count();
        assertEquals(1, rejections);
        assertEquals(leader.raft().log.allEntries(), follower.raft().log.allEntries());
    }

    @Test
    void followerCommitIndexNeverGoesBackwards() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 1).setIndex(3).setLogTerm(1).setCommit(3).build());
        n.node.step(msg(MSG_HEARTBEAT, 2, 1, 1).setCommit(1).build());
        assertEquals(3, n.raft().log.committed());
    }

    @Test
    void appendBelowTheCommitIndexIsAnsweredWithTheCommitIndex() {
        TestNode n = node(config(1), storageWithLog(voters(1, 2, 3), 1, 1, 1));
        n.node.step(msg(MSG_APP, 2, 1, 1).setIndex(3).setLogTerm(1).setCommit(3).build());
        n.processReady();
        n.node.step(msg(MSG_APP, 2, 1, 1).setIndex(1).setLogTerm(1).addEntries(entry(2, 1)).build());
        Message resp = ofType(sent(n), MSG_APP_RESP).get(0);
        assertFalse(resp.getReject());
        assertEquals(3, resp.getIndex());
    }
}
