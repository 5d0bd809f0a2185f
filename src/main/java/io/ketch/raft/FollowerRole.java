package io.ketch.raft;

import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;

/** A follower replicates the leader's log and forwards what only the leader can handle. */
final class FollowerRole extends Role {

    FollowerRole(Raft raft) {
        super(raft);
    }

    @Override
    void tick() {
        raft.tickElection();
    }

    @Override
    void step(Message m) {
        switch (m.getType()) {
            case MSG_PROP -> {
                if (raft.lead == Raft.NONE) {
                    throw new ProposalDroppedException("no leader at term " + raft.term);
                }
                if (raft.disableProposalForwarding) {
                    throw new ProposalDroppedException("not forwarding to leader " + raft.lead);
                }
                forwardToLeader(m);
            }
            case MSG_APP -> {
                heardFromLeader(m);
                raft.handleAppendEntries(m);
            }
            case MSG_HEARTBEAT -> {
                heardFromLeader(m);
                raft.handleHeartbeat(m);
            }
            case MSG_SNAP -> {
                heardFromLeader(m);
                raft.handleSnapshot(m);
            }
            case MSG_TRANSFER_LEADER, MSG_READ_INDEX -> {
                if (raft.lead != Raft.NONE) {
                    forwardToLeader(m);
                }
            }
            case MSG_TIMEOUT_NOW -> raft.hup(Raft.CampaignType.TRANSFER);
            case MSG_READ_INDEX_RESP -> {
                if (m.getEntriesCount() == 1) {
                    raft.readStates.add(new ReadState(m.getIndex(), m.getEntries(0).getData()));
                }
            }
            default -> {
                // Nothing else concerns a follower (e.g. late answers to a past candidacy).
            }
        }
    }

    private void heardFromLeader(Message m) {
        raft.electionElapsed = 0;
        raft.lead = m.getFrom();
    }

    private void forwardToLeader(Message m) {
        Message.Builder b = m.toBuilder().setTo(raft.lead);
        if (m.getType() != MessageType.MSG_PROP && m.getType() != MessageType.MSG_READ_INDEX) {
            b.setTerm(0); // send() stamps our term
        }
        raft.send(b);
        if (m.getType() == MessageType.MSG_READ_INDEX && m.getFrom() != Raft.NONE) {
            // Relaying another member's read (it believed we lead): the answer must go to it.
            raft.msgs.set(raft.msgs.size() - 1, b.setFrom(m.getFrom()).build());
        }
    }
}
