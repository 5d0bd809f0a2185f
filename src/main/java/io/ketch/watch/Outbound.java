package io.ketch.watch;

import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.pb.mvcc.Event;
import java.util.List;

/**
 * What waits in a {@link WatchStream}'s queue: everything the stream sends passes through
 * that one FIFO, so responses leave in the order they were decided (a watcher's "created"
 * before its events, its events in revision order, a progress notification after the events
 * it vouches for).
 */
sealed interface Outbound {
    /** A response complete when queued (created, canceled, a create error, a stream-wide progress). */
    record Control(WatchResponse response) implements Outbound {}

    /**
     * Events for one watcher: whole revisions in order, ending at (or, for a catch-up chunk,
     * before) headerRevision. prev_kv and fragmentation are done when it is sent.
     */
    record Events(Watcher watcher, long headerRevision, List<Event> events) implements Outbound {}

    /** A progress notification for one watcher: every matching event up to revision was queued before it. */
    record Progress(Watcher watcher, long revision) implements Outbound {}

    /** The watcher was cancelled because its start revision is compacted. */
    record Compacted(Watcher watcher, long compactRevision) implements Outbound {}
}
