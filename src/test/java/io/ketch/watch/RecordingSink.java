package io.ketch.watch;

import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.pb.mvcc.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Collects a stream's responses; a test can make it "not ready" like a client that does not read. */
final class RecordingSink implements ResponseSink {
    private final List<WatchResponse> responses = new ArrayList<>();
    private volatile boolean ready = true;

    @Override
    public boolean isReady() {
        return ready;
    }

    void setReady(boolean r) {
        ready = r;
    }

    @Override
    public synchronized void send(WatchResponse response) {
        responses.add(response);
    }

    synchronized List<WatchResponse> all() {
        return List.copyOf(responses);
    }

    /** Responses received since the last take. */
    synchronized List<WatchResponse> take() {
        List<WatchResponse> out = List.copyOf(responses);
        responses.clear();
        return out;
    }

    synchronized List<WatchResponse> matching(Predicate<WatchResponse> p) {
        return responses.stream().filter(p).toList();
    }

    /** Every event sent to watch id, in order. */
    synchronized List<Event> eventsOf(long watchId) {
        List<Event> out = new ArrayList<>();
        for (WatchResponse r : responses) {
            if (r.getWatchId() == watchId) {
                out.addAll(r.getEventsList());
            }
        }
        return out;
    }

    synchronized int eventCount(long watchId) {
        int n = 0;
        for (WatchResponse r : responses) {
            if (r.getWatchId() == watchId) {
                n += r.getEventsCount();
            }
        }
        return n;
    }
}
