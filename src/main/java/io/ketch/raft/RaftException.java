package io.ketch.raft;

/** Base of the errors the Raft core reports to its caller. */
public class RaftException extends RuntimeException {
    public RaftException(String message) {
        super(message);
    }
}
