package io.ketch.raft;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Majority and joint quorums: commit index and vote counting. */
class QuorumTest {
    private static final Map<Long, Long> ACKED = Map.of(1L, 5L, 2L, 3L, 3L, 1L, 4L, 4L, 5L, 2L);

    private static long acked(long id) {
        return ACKED.getOrDefault(id, 0L);
    }

    @Test
    void majorityCommitsTheHighestIndexAMajorityAcknowledged() {
        assertEquals(3, MajorityConfig.of(List.of(1L, 2L, 3L)).committedIndex(QuorumTest::acked));
        assertEquals(3, MajorityConfig.of(List.of(1L, 2L, 3L, 4L)).committedIndex(QuorumTest::acked), "3 of 4 needed");
        assertEquals(3, MajorityConfig.of(List.of(1L, 2L, 3L, 4L, 5L)).committedIndex(QuorumTest::acked));
        assertEquals(0, MajorityConfig.of(List.of(1L, 9L, 8L)).committedIndex(QuorumTest::acked), "unknown members acked nothing");
    }

    @Test
    void emptyMajorityIsNeutral() {
        assertEquals(Long.MAX_VALUE, MajorityConfig.EMPTY.committedIndex(QuorumTest::acked));
        assertEquals(VoteResult.WON, MajorityConfig.EMPTY.voteResult(Map.of()));
    }

    @Test
    void jointCommitsWhatBothHalvesCommit() {
        JointConfig j = new JointConfig(MajorityConfig.of(List.of(1L, 2L, 3L)), MajorityConfig.of(List.of(3L, 4L, 5L)));
        assertEquals(2, j.committedIndex(QuorumTest::acked));
    }

    @Test
    void voteIsWonLostOrStillPending() {
        MajorityConfig m = MajorityConfig.of(List.of(1L, 2L, 3L));
        assertEquals(VoteResult.PENDING, m.voteResult(Map.of(1L, true)));
        assertEquals(VoteResult.WON, m.voteResult(Map.of(1L, true, 2L, true)));
        assertEquals(VoteResult.LOST, m.voteResult(Map.of(1L, true, 2L, false, 3L, false)));
        assertEquals(VoteResult.PENDING, m.voteResult(Map.of(1L, true, 9L, true)), "votes of non-members are ignored");
    }

    @Test
    void jointVoteNeedsBothHalves() {
        JointConfig j = new JointConfig(MajorityConfig.of(List.of(1L, 2L, 3L)), MajorityConfig.of(List.of(1L, 4L, 5L)));
        assertEquals(VoteResult.PENDING, j.voteResult(Map.of(1L, true, 2L, true)));
        assertEquals(VoteResult.WON, j.voteResult(Map.of(1L, true, 2L, true, 4L, true)));
        assertEquals(VoteResult.LOST, j.voteResult(Map.of(1L, true, 2L, true, 4L, false, 5L, false)));
    }
}
