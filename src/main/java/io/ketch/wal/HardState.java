package io.ketch.wal;

/** Raft's persistent state besides the log. {@link #EMPTY} means "never written". */
public record HardState(long term, long vote, long commit) {
    public static final HardState EMPTY = new HardState(0, 0, 0);
}
