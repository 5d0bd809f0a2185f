package io.ketch.raft;

/** A Raft safety property does not hold. */
final class SafetyViolation extends AssertionError {
    SafetyViolation(String message) {
        super(message);
    }
}
