package io.ketch.raft;

/** Volatile state worth reporting but never persisted: who leads, and our role. */
public record SoftState(long leader, StateRole role) {
}
