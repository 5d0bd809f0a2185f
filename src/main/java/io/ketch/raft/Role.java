package io.ketch.raft;

import io.ketch.pb.raft.Message;

/**
 * The behaviour of one role: how it reacts to a tick and to the messages that the common
 * rules in {@link Raft#step} (term comparison, votes) leave to it. A new role object is
 * created on every role change, so state that belongs to one leadership (or candidacy) can
 * never leak into the next.
 */
abstract sealed class Role permits FollowerRole, CandidateRole, LeaderRole {
    final Raft raft;

    Role(Raft raft) {
        this.raft = raft;
    }

    abstract void tick();

    abstract void step(Message m);
}
