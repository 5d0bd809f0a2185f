package io.ketch.watch;

import io.ketch.errors.EtcdException;
import io.ketch.mvcc.RangeResult;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.WatchCancelRequest;
import io.ketch.pb.etcdserver.WatchCreateRequest;
import io.ketch.pb.etcdserver.WatchRequest;
import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.pb.mvcc.Event;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * One client watch stream (etcd's serverWatchStream and mvcc watchStream): takes the
 * client's create, cancel and progress requests, owns the stream's watch IDs, and sends
 * every response through one queue, drained on the stream's executor (the gRPC call's
 * event loop) while the transport is ready.
 *
 * <p>Threads: {@link #handle} is called by one thread at a time (the inbound gRPC stream);
 * the store enqueues from the applier and sync threads; the drain runs on {@link #executor}
 * only. Nothing here blocks: a client that does not read makes its watchers' buffers fill,
 * and the store then stops pushing to them (see {@link WatchableStore}).
 */
public final class WatchStream {
    private static final Logger LOG = Logger.getLogger(WatchStream.class);
    /** etcd's clientv3.AutoWatchID: a create with this ID gets the next free one. */
    static final long AUTO_WATCH_ID = 0;
    /** etcd's clientv3.InvalidWatchID: the ID of failed creates and stream-wide progress. */
    static final long INVALID_WATCH_ID = -1;
    static final String ERR_EMPTY_RANGE = "mvcc: watcher range is empty";
    static final String ERR_DUPLICATE_ID = "mvcc: duplicate watch ID provided on the WatchStream";
    /** Responses sent per executor turn, so that one busy stream does not hog its event loop. */
    private static final int MAX_SENDS_PER_TURN = 256;
    /** Event items taken into one coalesced run at most. */
    private static final int MAX_RUN = 4096;

    private final WatchableStore store;
    private final ResponseSink sink;
    private final Executor executor;
    private final Map<Long, Watcher> watchers = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Outbound> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable stopProgressTimer;
    private volatile boolean closed;
    /** The next auto watch ID to try (handle thread only). */
    private long nextId;

    /** Watchers of this stream in the unsynced group. Under the store's lock. */
    int unsyncedWatchers;
    /** A stream-wide progress request waits for every watcher to be synced. Under the store's lock. */
    boolean progressOwed;

    // the drain's header cache: consecutive responses mostly share a revision
    private long headerRev = Long.MIN_VALUE;
    private ResponseHeader header;

    WatchStream(WatchableStore store, ResponseSink sink, Executor executor, ProgressTimer timer) {
        this.store = store;
        this.sink = sink;
        this.executor = executor;
        this.stopProgressTimer = timer.every(store.progressPeriod(), () -> runOnExecutor(this::progressTick));
    }

    // ------------------------------------------------------------------ requests

    /** Handles one client request. Requests with nothing set are ignored, as etcd does. */
    public void handle(WatchRequest request) {
        if (closed) {
            return;
        }
        switch (request.getRequestUnionCase()) {
            case CREATE_REQUEST -> create(request.getCreateRequest());
            case CANCEL_REQUEST -> cancel(request.getCancelRequest());
            case PROGRESS_REQUEST -> store.requestProgress(this);
            default -> { }
        }
    }

    private void create(WatchCreateRequest c) {
        KeyRange range = KeyRange.fromRequest(c.getKey(), c.getRangeEnd());
        if (range.isEmpty()) {
            createFailed(ERR_EMPTY_RANGE);
            return;
        }
        long id = c.getWatchId();
        if (id == AUTO_WATCH_ID) {
            while (watchers.containsKey(nextId)) {
                nextId++;
            }
            id = nextId++;
        } else if (watchers.containsKey(id)) {
            createFailed(ERR_DUPLICATE_ID);
            return;
        }
        boolean noPut = false;
        boolean noDelete = false;
        for (WatchCreateRequest.FilterType f : c.getFiltersList()) {
            switch (f) {
                case NOPUT -> noPut = true;
                case NODELETE -> noDelete = true;
                default -> { } // unknown filters are ignored, as etcd does
            }
        }
        Watcher w = new Watcher(id, this, range, noPut, noDelete, c.getPrevKv(), c.getFragment(),
                c.getProgressNotify());
        watchers.put(id, w);
        store.register(w, c.getStartRevision());
    }

    /** etcd answers a create it refuses with created and canceled both set, not with a gRPC error. */
    private void createFailed(String reason) {
        enqueue(new Outbound.Control(WatchResponse.newBuilder()
                .setHeader(store.header(store.revision()))
                .setWatchId(INVALID_WATCH_ID)
                .setCreated(true)
                .setCanceled(true)
                .setCancelReason(reason)
                .build()));
    }

    /** etcd answers the cancel of an unknown ID with nothing at all. */
    private void cancel(WatchCancelRequest c) {
        Watcher w = watchers.remove(c.getWatchId());
        if (w == null) {
            return;
        }
        store.cancel(w);
        enqueue(new Outbound.Control(WatchResponse.newBuilder()
                .setHeader(store.header(store.revision()))
                .setWatchId(w.id)
                .setCanceled(true)
                .build()));
    }

    /** The periodic progress_notify tick (etcd's progressTicker): idle synced watchers get one. */
    void progressTick() {
        if (closed) {
            return;
        }
        for (Watcher w : watchers.values()) {
            if (w.progressNotify) {
                if (!w.eventsSinceTick) {
                    store.progress(w);
                }
                w.eventsSinceTick = false;
            }
        }
    }

    /** Ends the stream: its watchers leave the store and nothing more is sent. Idempotent. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopProgressTimer.run();
        for (Watcher w : watchers.values()) {
            store.cancel(w);
        }
        watchers.clear();
        queue.clear();
        store.streamClosed(this);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Number of watchers the stream holds (compacted ones included until cancelled, as etcd). */
    public int watcherCount() {
        return watchers.size();
    }

    // ------------------------------------------------------------------ sending

    /** Queues a response and makes sure a drain follows. Any thread; never blocks. */
    void enqueue(Outbound o) {
        if (closed) {
            return;
        }
        queue.offer(o);
        scheduleDrain();
    }

    /** The transport can take more: resume sending. */
    public void onReady() {
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            runOnExecutor(this::drain);
        }
    }

    private void runOnExecutor(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // the call's event loop is gone: so is the client
            LOG.debugf("watch stream executor rejected a task; closing the stream: %s", e);
            close();
        }
    }

    /**
     * Sends queued responses in order while the transport is ready. Cleared before it looks at
     * the queue, the scheduled flag lets a response queued meanwhile schedule another drain.
     *
     * <p>When events have piled up (the client or this event loop is slower than the writes),
     * a run of consecutive event items is sent as one response per watcher, holding all its
     * revisions of the run in order: far fewer messages when it matters most, and the same
     * shape as etcd's catch-up responses. Any other item ends a run, so the order between a
     * watcher's events and its control responses is never changed.
     */
    private void drain() {
        drainScheduled.set(false);
        int sent = 0;
        while (!closed) {
            if (!sink.isReady()) {
                return; // onReady() schedules the next drain
            }
            if (sent >= MAX_SENDS_PER_TURN) {
                scheduleDrain();
                return;
            }
            Outbound o = queue.poll();
            if (o == null) {
                return;
            }
            try {
                if (o instanceof Outbound.Events first && queue.peek() instanceof Outbound.Events) {
                    sent += sendRun(first);
                } else {
                    send(o);
                    sent++;
                }
            } catch (RuntimeException e) {
                LOG.debugf("sending a watch response failed; closing the stream: %s", e);
                close();
                return;
            }
        }
    }

    /** Takes the run of event items starting with first and sends it coalesced per watcher. */
    private int sendRun(Outbound.Events first) {
        Map<Watcher, List<Outbound.Events>> byWatcher = new java.util.LinkedHashMap<>();
        byWatcher.computeIfAbsent(first.watcher(), w -> new java.util.ArrayList<>()).add(first);
        int taken = 1;
        // single consumer: what peek sees, poll returns
        while (taken < MAX_RUN && queue.peek() instanceof Outbound.Events) {
            Outbound.Events e = (Outbound.Events) queue.poll();
            byWatcher.computeIfAbsent(e.watcher(), w -> new java.util.ArrayList<>()).add(e);
            taken++;
        }
        int responses = 0;
        for (Map.Entry<Watcher, List<Outbound.Events>> en : byWatcher.entrySet()) {
            responses += sendCoalesced(en.getKey(), en.getValue());
        }
        return responses;
    }

    /** Sends one watcher's queued revisions in as few responses as its size limit allows. */
    private int sendCoalesced(Watcher w, List<Outbound.Events> items) {
        int left = w.pending.addAndGet(-items.size());
        if (left < store.resumeBelow() && w.state == Watcher.State.UNSYNCED) {
            store.requestSync();
        }
        if (w.state == Watcher.State.CANCELLED) {
            return 0;
        }
        if (items.size() == 1) {
            sendResponse(w, items.get(0).headerRevision(), items.get(0).events());
            return 1;
        }
        int responses = 0;
        List<Event> events = new java.util.ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < items.size(); i++) {
            Outbound.Events item = items.get(i);
            if (!events.isEmpty() && bytes >= store.coalesceBytes()) {
                sendResponse(w, items.get(i - 1).headerRevision(), events);
                responses++;
                events = new java.util.ArrayList<>();
                bytes = 0;
            }
            for (Event ev : item.events()) {
                events.add(ev);
                bytes += ev.getSerializedSize();
            }
        }
        sendResponse(w, items.get(items.size() - 1).headerRevision(), events);
        return responses + 1;
    }

    private void send(Outbound o) {
        switch (o) {
            case Outbound.Control c -> sink.send(c.response());
            case Outbound.Events e -> sendEvents(e);
            case Outbound.Progress p -> {
                if (p.watcher().state != Watcher.State.CANCELLED) {
                    sink.send(WatchResponse.newBuilder().setHeader(header(p.revision())).setWatchId(p.watcher().id)
                            .build());
                }
            }
            case Outbound.Compacted c -> {
                if (c.watcher().state != Watcher.State.CANCELLED) {
                    // etcd's compaction response carries no revision in its header
                    sink.send(WatchResponse.newBuilder().setHeader(header(0)).setWatchId(c.watcher().id)
                            .setCanceled(true).setCompactRevision(c.compactRevision()).build());
                }
            }
        }
    }

    private void sendEvents(Outbound.Events e) {
        sendCoalesced(e.watcher(), List.of(e));
    }

    /** One events response: prev_kv looked up if asked for, split if the watcher takes fragments. */
    private void sendResponse(Watcher w, long headerRevision, List<Event> events) {
        WatchResponse.Builder r = WatchResponse.newBuilder().setHeader(header(headerRevision)).setWatchId(w.id);
        if (w.prevKv) {
            for (Event ev : events) {
                r.addEvents(withPrevKv(ev));
            }
        } else {
            r.addAllEvents(events);
        }
        if (w.fragment) {
            Fragments.send(r.build(), store.maxResponseBytes(), sink::send);
        } else {
            sink.send(r.build());
        }
        w.eventsSinceTick = true;
    }

    /**
     * etcd's prev_kv: the key's value just before the event's revision, read from the store;
     * left out for a key's creation and when that revision is compacted away.
     */
    private Event withPrevKv(Event ev) {
        var kv = ev.getKv();
        if (ev.getType() == Event.EventType.PUT && kv.getCreateRevision() == kv.getModRevision()) {
            return ev;
        }
        try {
            RangeResult r = store.mvcc().range(kv.getKey().toByteArray(), null, kv.getModRevision() - 1, 1, false);
            List<io.ketch.pb.mvcc.KeyValue> kvs = r.kvs();
            return kvs.isEmpty() ? ev : ev.toBuilder().setPrevKv(kvs.get(0)).build();
        } catch (EtcdException compactedOrFuture) {
            return ev;
        }
    }

    private ResponseHeader header(long rev) {
        if (rev != headerRev || header == null) {
            header = store.header(rev);
            headerRev = rev;
        }
        return header;
    }
}
