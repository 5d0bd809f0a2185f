package io.ketch.raft;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.Message;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;

/**
 * One member as the rule tests drive it: a {@link RawNode} over a {@link MemoryStorage}, and
 * a minimal driver that carries out each Ready exactly as the contract says (persist, then
 * hand back messages, then apply, then advance).
 */
final class TestNode {
    final long id;
    final MemoryStorage storage;
    final RawNode node;
    final List<Entry> applied = new ArrayList<>();
    final List<ReadState> readStates = new ArrayList<>();
    ConfState confState;

    TestNode(RaftConfig config, MemoryStorage storage) {
        this.id = config.id();
        this.storage = storage;
        this.node = new RawNode(config, storage);
        this.confState = storage.initialState().confState();
    }

    Raft raft() {
        return node.raft();
    }

    /** Carries out every pending Ready; returns the messages to deliver. */
    List<Message> processReady() {
        List<Message> out = new ArrayList<>();
        while (node.hasReady()) {
            Ready rd = node.ready();
            rd.snapshot().ifPresent(s -> {
                storage.applySnapshot(s);
                confState = s.getMetadata().getConfState();
            });
            storage.append(rd.entries());
            rd.hardState().ifPresent(storage::setHardState);
            out.addAll(rd.messages());
            for (Entry e : rd.committedEntries()) {
                applied.add(e);
                if (e.getType() == EntryType.CONF_CHANGE) {
                    try {
                        confState = node.applyConfChange(ConfChange.parseFrom(e.getData()));
                    } catch (InvalidProtocolBufferException ex) {
                        throw new IllegalStateException(ex);
                    }
                }
            }
            readStates.addAll(rd.readStates());
            node.advance(rd);
        }
        return out;
    }

    /** Data of applied normal entries that carry data (leaders' empty entries skipped). */
    List<String> appliedData() {
        List<String> data = new ArrayList<>();
        for (Entry e : applied) {
            if (e.getType() == EntryType.NORMAL && !e.getData().isEmpty()) {
                data.add(e.getData().toStringUtf8());
            }
        }
        return data;
    }

    StateRole role() {
        return raft().state;
    }

    long term() {
        return raft().term;
    }
}
