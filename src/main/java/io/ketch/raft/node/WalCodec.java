package io.ketch.raft.node;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.HardState;
import io.ketch.wal.WalEntry;
import java.util.ArrayList;
import java.util.List;

/** Converts between Raft's log types and the WAL's records (the WAL knows nothing of Raft). */
final class WalCodec {
    private WalCodec() {}

    static List<WalEntry> toWal(List<Entry> entries) {
        List<WalEntry> out = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            out.add(new WalEntry(e.getIndex(), e.getTerm(), e.getTypeValue(), e.getData().toByteArray()));
        }
        return out;
    }

    static io.ketch.wal.HardState toWal(HardState hs) {
        return new io.ketch.wal.HardState(hs.getTerm(), hs.getVote(), hs.getCommit());
    }

    static HardState fromWal(io.ketch.wal.HardState hs) {
        return HardState.newBuilder().setTerm(hs.term()).setVote(hs.vote()).setCommit(hs.commit()).build();
    }

    static List<Entry> fromWal(List<WalEntry> entries) {
        List<Entry> out = new ArrayList<>(entries.size());
        for (WalEntry e : entries) {
            out.add(Entry.newBuilder().setIndex(e.index()).setTerm(e.term())
                    .setType(e.type() == 1 ? EntryType.CONF_CHANGE : EntryType.NORMAL)
                    .setData(com.google.protobuf.ByteString.copyFrom(e.data())).build());
        }
        return out;
    }
}
