package io.ketch.raft;

/** The requested index lies beyond the last entry of the storage. */
public final class LogUnavailableException extends RaftException {
    public LogUnavailableException(long index, long lastIndex) {
        super("requested entry at index " + index + " is unavailable (last index " + lastIndex + ")");
    }
}
