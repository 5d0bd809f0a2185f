package io.ketch.raft;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.HardState;
import java.util.Map;

/**
 * A snapshot of a member's state for monitoring and tests.
 *
 * @param progress the leader's view of each member; empty unless this member leads
 */
public record Status(
        long id,
        HardState hardState,
        SoftState softState,
        long applied,
        long leadTransferee,
        ConfState config,
        Map<Long, ProgressView> progress) {

    /** The leader's view of one member's log. */
    public record ProgressView(long match, long next, ProgressState state, boolean learner,
                               boolean recentActive, int inflightMessages, long pendingSnapshot) {
    }
}
