package io.ketch.raft;

import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builders shared by the rule tests. */
final class RaftTests {
    private RaftTests() {
    }

    /**
     * The paper's Raft: no pre-vote, no check-quorum (the tests of those features turn them
     * on), election timeout 10 ticks, heartbeat 1.
     */
    static RaftConfig.Builder config(long id) {
        return RaftConfig.builder(id).electionTick(10).heartbeatTick(1).preVote(false).checkQuorum(false);
    }

    static ConfState voters(long... ids) {
        ConfState.Builder b = ConfState.newBuilder();
        Arrays.stream(ids).forEach(b::addVoters);
        return b.build();
    }

    static TestNode node(long id, long... voters) {
        return new TestNode(config(id).build(), new MemoryStorage(voters(voters)));
    }

    static TestNode node(RaftConfig.Builder config, MemoryStorage storage) {
        return new TestNode(config.build(), storage);
    }

    /** A storage whose log already holds entries of the given terms at indexes 1, 2, ... */
    static MemoryStorage storageWithLog(ConfState conf, long... terms) {
        MemoryStorage s = new MemoryStorage(conf);
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            entries.add(entry(i + 1, terms[i]));
        }
        s.append(entries);
        // A member never holds entries of a term beyond its own.
        s.setHardState(HardState.newBuilder().setTerm(terms.length == 0 ? 0 : terms[terms.length - 1]).build());
        return s;
    }

    static Entry entry(long index, long term) {
        return Entry.newBuilder().setIndex(index).setTerm(term).build();
    }

    static Entry entry(long index, long term, String data) {
        return Entry.newBuilder().setIndex(index).setTerm(term).setData(ByteString.copyFromUtf8(data)).build();
    }

    static Message.Builder msg(MessageType type, long from, long to, long term) {
        return Message.newBuilder().setType(type).setFrom(from).setTo(to).setTerm(term);
    }

    /** Everything the node wants to send now (carrying out its Ready). */
    static List<Message> sent(TestNode n) {
        return n.processReady();
    }

    /** Ticks a follower until its randomized election timeout fires (at most 2 timeouts). */
    static int tickUntilCampaign(TestNode n) {
        StateRole before = n.role();
        long term = n.term();
        for (int i = 1; i <= 2 * n.raft().electionTimeout; i++) {
            n.node.tick();
            if (n.role() != before || n.term() != term) {
                return i;
            }
        }
        throw new AssertionError("no election within two election timeouts");
    }

    /** A member elected leader of term 1 by votes it is handed, its Ready carried out. */
    static TestNode leaderOfTerm1(long id, long... voters) {
        TestNode n = node(id, voters);
        n.node.campaign();
        for (long v : voters) {
            if (v != id) {
                n.node.step(msg(MessageType.MSG_VOTE_RESP, v, id, 1).build());
            }
        }
        if (n.role() != StateRole.LEADER) {
            throw new AssertionError("not elected");
        }
        n.processReady();
        return n;
    }

    static List<Message> ofType(List<Message> messages, MessageType type) {
        return messages.stream().filter(m -> m.getType() == type).toList();
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }
}
