package io.ketch.raft;

import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;

/**
 * A candidate or pre-candidate collects votes. It yields to any leader of its own term, and
 * counts only the vote answers of its own kind (a candidate may still receive late
 * pre-vote answers from the pre-campaign it just won).
 */
final class CandidateRole extends Role {

    CandidateRole(Raft raft) {
        super(raft);
    }

    @Override
    void tick() {
        raft.tickElection();
    }

    @Override
    void step(Message m) {
        MessageType myVoteResponse = raft.state == StateRole.PRE_CANDIDATE
                ? MessageType.MSG_PRE_VOTE_RESP : MessageType.MSG_VOTE_RESP;
        switch (m.getType()) {
            case MSG_PROP -> throw new ProposalDroppedException("no leader at term " + raft.term);
            case MSG_APP -> {
                raft.becomeFollower(m.getTerm(), m.getFrom());
                raft.handleAppendEntries(m);
            }
            case MSG_HEARTBEAT -> {
                raft.becomeFollower(m.getTerm(), m.getFrom());
                raft.handleHeartbeat(m);
            }
            case MSG_SNAP -> {
                raft.becomeFollower(m.getTerm(), m.getFrom());
                raft.handleSnapshot(m);
            }
            default -> {
                if (m.getType() == myVoteResponse) {
                    countVote(m);
                }
            }
        }
    }

    private void countVote(Message m) {
        switch (raft.poll(m.getFrom(), !m.getReject())) {
            case WON -> {
                if (!raft.promotable()) {
                    // Applied a membership without us as a voter during the campaign.
                    raft.becomeFollower(raft.term, Raft.NONE);
                } else if (raft.state == StateRole.PRE_CANDIDATE) {
                    raft.campaign(Raft.CampaignType.ELECTION);
                } else {
                    raft.becomeLeader();
                    raft.leader().bcastAppend();
                }
            }
            case LOST -> raft.becomeFollower(raft.term, Raft.NONE);
            case PENDING -> {
            }
        }
    }
}
