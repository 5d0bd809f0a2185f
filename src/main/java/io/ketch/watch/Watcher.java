package io.ketch.watch;

import io.ketch.pb.mvcc.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One watcher of a {@link WatchStream}: what it watches and how, where it is in the
 * revision history, and how many of its responses wait in its stream's queue.
 *
 * <p>{@link #minRev} and the group membership change only under the store's lock;
 * {@link #state} is written under it and read anywhere (the stream's drain skips the
 * responses of a cancelled watcher).
 */
final class Watcher {
    enum State {
        /** In the synced group: the store pushes each new revision's matching events to it. */
        SYNCED,
        /** In the unsynced group: the sync task catches it up from history. */
        UNSYNCED,
        /** Cancelled by the store because its next revision was compacted (etcd keeps its ID taken). */
        COMPACTED,
        /** Cancelled by the client or closed with its stream: nothing more is sent for it. */
        CANCELLED
    }

    final long id;
    final WatchStream stream;
    final KeyRange range;
    final boolean noPut;
    final boolean noDelete;
    final boolean prevKv;
    final boolean fragment;
    final boolean progressNotify;

    /**
     * The first revision whose events the watcher has not been given. For a synced watcher
     * that started in the future, the revision it starts at; for a synced watcher otherwise
     * a lower bound (every event below the store's last notified revision was delivered).
     * Under the store's lock.
     */
    long minRev;
    volatile State state = State.SYNCED;
    /** Event responses queued in the stream and not yet sent (the watcher's buffer). */
    final AtomicInteger pending = new AtomicInteger();
    /** Whether events were sent since the last progress tick (etcd elides that tick's progress). */
    volatile boolean eventsSinceTick;

    Watcher(long id, WatchStream stream, KeyRange range, boolean noPut, boolean noDelete, boolean prevKv,
            boolean fragment, boolean progressNotify) {
        this.id = id;
        this.stream = stream;
        this.range = range;
        this.noPut = noPut;
        this.noDelete = noDelete;
        this.prevKv = prevKv;
        this.fragment = fragment;
        this.progressNotify = progressNotify;
    }

    KeyRange range() {
        return range;
    }

    /** The NOPUT/NODELETE filters: whether an event of a watched key is sent. */
    boolean accepts(Event e) {
        return e.getType() == Event.EventType.DELETE ? !noDelete : !noPut;
    }

    /** Whether the watcher wants the event at all: watched key and not filtered. */
    boolean wants(Event e) {
        return accepts(e) && range.contains(e.getKv().getKey());
    }

    /** The events of one revision this watcher is sent: all of them if none is filtered out. */
    List<Event> filter(List<Event> events) {
        if (!noPut && !noDelete) {
            return events;
        }
        List<Event> out = null;
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if (!accepts(e)) {
                if (out == null) {
                    out = new ArrayList<>(events.subList(0, i));
                }
            } else if (out != null) {
                out.add(e);
            }
        }
        return out == null ? events : out;
    }

    @Override
    public String toString() {
        return "watcher " + id + " " + state + " minRev " + minRev;
    }
}
