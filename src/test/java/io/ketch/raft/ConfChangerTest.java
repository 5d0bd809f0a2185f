package io.ketch.raft;

import static io.ketch.pb.raft.ConfChangeType.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ketch.pb.raft.ConfChangeSingle;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.pb.raft.ConfState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The membership arithmetic of simple changes and joint consensus. */
class ConfChangerTest {

    private static ProgressTracker tracker(ConfState cs) {
        ProgressTracker t = new ProgressTracker(8, Long.MAX_VALUE);
        ConfChanger.Result r = ConfChanger.restore(cs, t, 10);
        t.setConfig(r.config(), r.progress());
        return t;
    }

    private static ConfChangeSingle ch(ConfChangeType type, long id) {
        return ConfChanger.change(type, id);
    }

    private static final ConfState ONE_TWO_THREE = RaftTests.voters(1, 2, 3);

    @Test
    void simpleChangeMayChangeOneVoter() {
        ConfChanger.Result r = new ConfChanger(tracker(ONE_TWO_THREE), 10).simple(List.of(ch(ADD_NODE, 4)));
        assertEquals(List.of(1L, 2L, 3L, 4L), r.config().toConfState().getVotersList());
        assertEquals(10, r.progress().get(4L).next, "a new member is probed at the last index");
    }

    @Test
    void simpleChangeOfTwoVotersIsRefused() {
        ConfChanger changer = new ConfChanger(tracker(ONE_TWO_THREE), 10);
        assertThrows(IllegalArgumentException.class, () -> changer.simple(List.of(ch(ADD_NODE, 4), ch(REMOVE_NODE, 1))));
    }

    @Test
    void simpleChangeMayChangeAnyNumberOfLearners() {
        ConfChanger.Result r = new ConfChanger(tracker(ONE_TWO_THREE), 10)
                .simple(List.of(ch(ADD_LEARNER_NODE, 4), ch(ADD_LEARNER_NODE, 5), ch(ADD_NODE, 6)));
        assertEquals(List.of(4L, 5L), r.config().toConfState().getLearnersList());
    }

    @Test
    void enteringJointKeepsTheOldVotersAsTheOutgoingHalf() {
        ConfChanger.Result r = new ConfChanger(tracker(ONE_TWO_THREE), 10)
                .enterJoint(true, List.of(ch(ADD_NODE, 4), ch(REMOVE_NODE, 1)));
        ConfState cs = r.config().toConfState();
        assertEquals(List.of(2L, 3L, 4L), cs.getVotersList());
        assertEquals(List.of(1L, 2L, 3L), cs.getVotersOutgoingList());
        assertTrue(r.progress().containsKey(1L), "an outgoing voter keeps its progress");
        assertTrue(cs.getAutoLeave());
    }

    @Test
    void leavingJointDropsMembersOnlyInTheOutgoingHalf() {
        ConfState joint = ConfState.newBuilder().addAllVoters(List.of(2L, 3L, 4L)).addAllVotersOutgoing(List.of(1L, 2L, 3L)).build();
        ConfChanger.Result r = new ConfChanger(tracker(joint), 10).leaveJoint();
        assertEquals(RaftTests.voters(2, 3, 4), r.config().toConfState());
        assertFalse(r.progress().containsKey(1L));
    }

    @Test
    void demotingAnOutgoingVoterWaitsInLearnersNextUntilTheJointConfigIsLeft() {
        ConfChanger.Result joint = new ConfChanger(tracker(ONE_TWO_THREE), 10)
                .enterJoint(false, List.of(ch(ADD_LEARNER_NODE, 3), ch(ADD_NODE, 4)));
        ConfState cs = joint.config().toConfState();
        assertEquals(List.of(3L), cs.getLearnersNextList());
        assertTrue(cs.getLearnersList().isEmpty(), "still an outgoing voter, so not a learner yet");
        ProgressTracker t = new ProgressTracker(8, Long.MAX_VALUE);
        t.setConfig(joint.config(), joint.progress());
        ConfState after = new ConfChanger(t, 10).leaveJoint().config().toConfState();
        assertEquals(List.of(3L), after.getLearnersList());
        assertEquals(List.of(1L, 2L, 4L), after.getVotersList());
    }

    @Test
    void invalidTransitionsAreRefused() {
        ConfState joint = ConfState.newBuilder().addAllVoters(List.of(2L)).addAllVotersOutgoing(List.of(1L)).build();
        assertThrows(IllegalArgumentException.class, () -> new ConfChanger(tracker(joint), 1).enterJoint(true, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ConfChanger(tracker(joint), 1).simple(List.of(ch(ADD_NODE, 5))));
        assertThrows(IllegalArgumentException.class, () -> new ConfChanger(tracker(ONE_TWO_THREE), 1).leaveJoint());
        assertThrows(IllegalArgumentException.class,
                () -> new ConfChanger(tracker(RaftTests.voters(1)), 1).simple(List.of(ch(REMOVE_NODE, 1))));
    }

    @Test
    void restoreRebuildsExactlyTheMembershipItWasGiven() {
        ConfState cs = ConfState.newBuilder().addAllVoters(List.of(2L, 3L, 4L)).addAllVotersOutgoing(List.of(1L, 2L, 3L))
                .addAllLearners(List.of(5L)).addAllLearnersNext(List.of(1L)).setAutoLeave(true).build();
        assertEquals(cs, tracker(cs).config().toConfState());
    }
}
