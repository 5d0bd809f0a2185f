package io.ketch.raft;

import io.ketch.pb.raft.Message;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader's pending ReadIndex requests, in arrival order. Each records the commit index
 * at arrival and the members that acknowledged a heartbeat carrying its context. When a
 * quorum acknowledged request R, the leader was still leader after R arrived, so R and every
 * request queued before it can be answered.
 */
final class ReadOnlyQueue {
    /** One pending request: the message, its read index, and who confirmed leadership for it. */
    static final class Pending {
        final Message request;
        final long index;
        final Map<Long, Boolean> acks = new TreeMap<>();

        Pending(Message request, long index) {
            this.request = request;
            this.index = index;
        }

        ByteString context() {
            return request.getEntries(0).getData();
        }
    }

    private final Map<ByteString, Pending> pending = new HashMap<>();
    private final List<ByteString> queue = new ArrayList<>();

    /** Queues a request read at index; a request whose context is already queued is ignored. */
    void addRequest(long index, Message request) {
        ByteString ctx = request.getEntries(0).getData();
        if (pending.containsKey(ctx)) {
            return;
        }
        pending.put(ctx, new Pending(request, index));
        queue.add(ctx);
    }

    /** Records from's acknowledgement of ctx; returns all acknowledgements so far, or null if unknown. */
    Map<Long, Boolean> recvAck(long from, ByteString ctx) {
        Pending p = pending.get(ctx);
        if (p == null) {
            return null;
        }
        p.acks.put(from, true);
        return p.acks;
    }

    /** Dequeues and returns ctx's request and every one queued before it. */
    List<Pending> advance(ByteString ctx) {
        int end = queue.indexOf(ctx);
        if (end < 0) {
            return List.of();
        }
        List<ByteString> done = new ArrayList<>(queue.subList(0, end + 1));
        queue.subList(0, end + 1).clear();
        List<Pending> result = new ArrayList<>(done.size());
        for (ByteString c : done) {
            result.add(pending.remove(c));
        }
        return result;
    }

    /** The newest pending context: a heartbeat carrying it confirms all pending requests. */
    ByteString lastPendingContext() {
        return queue.isEmpty() ? ByteString.EMPTY : queue.get(queue.size() - 1);
    }
}
