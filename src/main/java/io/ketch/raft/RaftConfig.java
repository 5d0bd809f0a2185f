package io.ketch.raft;

/**
 * The parameters of one Raft member. Times are in ticks: the driver decides how long a tick
 * is (etcd: heartbeat 100 ms = 1 tick, election 1000 ms = 10 ticks).
 *
 * @param id                        this member's id, never 0
 * @param electionTick              a follower that hears from no leader for a random time in
 *                                  [electionTick, 2*electionTick) starts an election
 * @param heartbeatTick             the leader sends heartbeats every heartbeatTick ticks
 * @param applied                   the last index the application applied before a restart
 * @param maxSizePerMsg             the most entry bytes in one append message (one entry may exceed it)
 * @param maxCommittedSizePerReady  the most entry bytes handed out for application per Ready
 * @param maxUncommittedEntriesSize the most payload bytes the leader holds uncommitted;
 *                                  proposals beyond it are dropped
 * @param maxInflightMsgs           the most unacknowledged append messages per follower
 * @param maxInflightBytes          the most unacknowledged entry bytes per follower
 * @param checkQuorum               a leader that has not heard from a quorum within an election
 *                                  timeout steps down; followers in contact with a leader
 *                                  ignore vote requests
 * @param preVote                   ask for votes for term+1 before incrementing the term, so a
 *                                  partitioned member cannot disturb the cluster on return
 * @param disableProposalForwarding followers drop proposals instead of forwarding them
 * @param randomSeed                seeds the election-timeout randomisation (determinism:
 *                                  same seed, same inputs, same outputs)
 */
public record RaftConfig(
        long id,
        int electionTick,
        int heartbeatTick,
        long applied,
        long maxSizePerMsg,
        long maxCommittedSizePerReady,
        long maxUncommittedEntriesSize,
        int maxInflightMsgs,
        long maxInflightBytes,
        boolean checkQuorum,
        boolean preVote,
        boolean disableProposalForwarding,
        long randomSeed) {

    public RaftConfig {
        if (id == 0) {
            throw new IllegalArgumentException("cannot use 0 as id");
        }
        if (heartbeatTick <= 0) {
            throw new IllegalArgumentException("heartbeat tick must be greater than 0");
        }
        if (electionTick <= heartbeatTick) {
            throw new IllegalArgumentException("election tick must be greater than heartbeat tick");
        }
        if (maxInflightMsgs <= 0) {
            throw new IllegalArgumentException("max inflight messages must be greater than 0");
        }
        if (maxInflightBytes < maxSizePerMsg) {
            throw new IllegalArgumentException("max inflight bytes must be >= max message size");
        }
        if (maxSizePerMsg <= 0 || maxCommittedSizePerReady <= 0 || maxUncommittedEntriesSize <= 0) {
            throw new IllegalArgumentException("size limits must be positive");
        }
    }

    /** etcd's defaults: 10/1 ticks, 1 MiB messages, 256 in flight, pre-vote and check-quorum on. */
    public static Builder builder(long id) {
        return new Builder(id);
    }

    public Builder toBuilder() {
        return new Builder(id).electionTick(electionTick).heartbeatTick(heartbeatTick).applied(applied)
                .maxSizePerMsg(maxSizePerMsg).maxCommittedSizePerReady(maxCommittedSizePerReady)
                .maxUncommittedEntriesSize(maxUncommittedEntriesSize).maxInflightMsgs(maxInflightMsgs)
                .maxInflightBytes(maxInflightBytes).checkQuorum(checkQuorum).preVote(preVote)
                .disableProposalForwarding(disableProposalForwarding).randomSeed(randomSeed);
    }

    public static final class Builder {
        private long id;
        private int electionTick = 10;
        private int heartbeatTick = 1;
        private long applied;
        private long maxSizePerMsg = 1024 * 1024;
        private long maxCommittedSizePerReady = Long.MAX_VALUE;
        private long maxUncommittedEntriesSize = 1L << 30;
        private int maxInflightMsgs = 256;
        private long maxInflightBytes = Long.MAX_VALUE;
        private boolean checkQuorum = true;
        private boolean preVote = true;
        private boolean disableProposalForwarding;
        private long randomSeed;

        private Builder(long id) {
            this.id = id;
            this.randomSeed = id;
        }

        public Builder id(long v) { id = v; return this; }
        public Builder electionTick(int v) { electionTick = v; return this; }
        public Builder heartbeatTick(int v) { heartbeatTick = v; return this; }
        public Builder applied(long v) { applied = v; return this; }
        public Builder maxSizePerMsg(long v) { maxSizePerMsg = v; return this; }
        public Builder maxCommittedSizePerReady(long v) { maxCommittedSizePerReady = v; return this; }
        public Builder maxUncommittedEntriesSize(long v) { maxUncommittedEntriesSize = v; return this; }
        public Builder maxInflightMsgs(int v) { maxInflightMsgs = v; return this; }
        public Builder maxInflightBytes(long v) { maxInflightBytes = v; return this; }
        public Builder checkQuorum(boolean v) { checkQuorum = v; return this; }
        public Builder preVote(boolean v) { preVote = v; return this; }
        public Builder disableProposalForwarding(boolean v) { disableProposalForwarding = v; return this; }
        public Builder randomSeed(long v) { randomSeed = v; return this; }

        public RaftConfig build() {
            return new RaftConfig(id, electionTick, heartbeatTick, applied, maxSizePerMsg, maxCommittedSizePerReady,
                    maxUncommittedEntriesSize, maxInflightMsgs, maxInflightBytes, checkQuorum, preVote,
                    disableProposalForwarding, randomSeed);
        }
    }
}
