package io.ketch.raft;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.HardState;

/** What a member restarts from: its persisted hard state and the membership of its snapshot. */
public record InitialState(HardState hardState, ConfState confState) {
}
