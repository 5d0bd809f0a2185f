package io.ketch.raft;

import io.ketch.pb.raft.Entry;
import java.util.List;

/** Size arithmetic on runs of log entries. */
final class Entries {
    private Entries() {
    }

    /**
     * The longest prefix of entries whose encoded size stays within maxSize, but never fewer
     * than one entry: a single oversized entry must still be able to make progress.
     */
    static List<Entry> limitSize(List<Entry> entries, long maxSize) {
        if (entries.isEmpty()) {
            return entries;
        }
        long size = entries.get(0).getSerializedSize();
        int limit = 1;
        while (limit < entries.size()) {
            size += entries.get(limit).getSerializedSize();
            if (size > maxSize) {
                break;
            }
            limit++;
        }
        return limit == entries.size() ? entries : List.copyOf(entries.subList(0, limit));
    }

    static long encodedSize(List<Entry> entries) {
        long size = 0;
        for (Entry e : entries) {
            size += e.getSerializedSize();
        }
        return size;
    }

    /** The application payload of entries: what the uncommitted-size bound counts. */
    static long payloadSize(List<Entry> entries) {
        long size = 0;
        for (Entry e : entries) {
            size += e.getData().size();
        }
        return size;
    }
}
