package io.ketch.watch;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.WatchResponse;
import io.ketch.pb.mvcc.Event;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;
import org.jboss.logging.Logger;

/**
 * The watch side of the MVCC store (etcd's watchableStore with its synced and unsynced
 * watcher groups): fed every committed revision by {@link MvccStore}'s commit listener, it
 * pushes each revision's events to the synced watchers that watch them, and catches up the
 * others from history on a background thread.
 *
 * <p><b>Synced</b> watchers have been given every matching event up to {@link #lastNotified}
 * (or start later). The applier thread, in {@link #committed}, queues the new revision's
 * events in each one's stream without waiting for anything. A watcher whose buffer (its
 * queued, unsent responses) is full does not get them: it moves to the unsynced group with
 * minRev = that revision. So one slow client never holds back the applier, the writers or the
 * other watchers.
 *
 * <p><b>Unsynced</b> watchers (started at a past revision, or overflowed) are caught up by the
 * sync thread once they have room: from {@link RecentHistory} in memory when it still holds
 * their next revision, else from the backend ({@link MvccStore#forEachEvent}) a bounded
 * number of revisions at a time. A watcher whose next revision is compacted is cancelled with
 * compact_revision set, as etcd does.
 *
 * <p><b>No gap, no duplicate.</b> Everything that moves a watcher between groups, changes its
 * minRev, or queues live events happens under {@link #lock}. A watcher joins the synced group
 * only when its minRev = lastNotified + 1, in the same critical section that queued its last
 * caught-up events; from then on only {@link #committed} queues events for it, each revision
 * once. Backend reads run outside the lock (so the applier never waits for them); the watcher
 * stays unsynced meanwhile, and if revisions were notified during the read it simply takes
 * another round, which the in-memory history serves.
 *
 * <p>Attach it before the store takes writes (it starts from the store's current revision).
 */
public final class WatchableStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WatchableStore.class);

    private final MvccStore mvcc;
    private final WatchConfig config;
    private final LongFunction<ResponseHeader> headers;
    private final ProgressTimer timer;
    private final Runnable closeTimer;

    /** Guards the groups, every watcher's minRev and group state, the history and lastNotified. */
    private final ReentrantLock lock = new ReentrantLock();
    private final WatcherGroup synced = new WatcherGroup();
    /** In the order they became unsynced; a sync round takes them from the front and rotates. */
    private final LinkedHashSet<Watcher> unsynced = new LinkedHashSet<>();
    private final RecentHistory recent;
    /** The newest revision whose events were handed to the synced watchers. */
    private volatile long lastNotified;

    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicBoolean syncRequested = new AtomicBoolean();
    private final Thread syncThread;
    private volatile boolean closed;

    // scratch of committed(), applier thread only, under the lock
    private final List<Watcher> targets = new ArrayList<>();
    private final Map<Watcher, List<Event>> perWatcher = new IdentityHashMap<>();

    private WatchableStore(MvccStore mvcc, WatchConfig config, LongFunction<ResponseHeader> headers,
            ProgressTimer timer, Runnable closeTimer, boolean syncThread) {
        this.mvcc = mvcc;
        this.config = config;
        this.headers = headers;
        this.timer = timer;
        this.closeTimer = closeTimer;
        this.lastNotified = mvcc.currentRevision();
        this.recent = new RecentHistory(config.recentRevisions(), config.recentBytes(), lastNotified);
        this.syncThread = syncThread ? new Thread(this::syncLoop, "ketch-watch-sync") : null;
    }

    /**
     * Attaches a watchable store to mvcc with its own sync thread and progress timer thread.
     * Call before the store takes writes.
     */
    public static WatchableStore start(MvccStore mvcc, WatchConfig config, LongFunction<ResponseHeader> headers) {
        ScheduledProgressTimer timer = new ScheduledProgressTimer();
        WatchableStore s = new WatchableStore(mvcc, config, headers, timer, timer::close, true);
        mvcc.setCommitListener(s::committed);
        s.syncThread.setDaemon(true);
        s.syncThread.start();
        return s;
    }

    /**
     * A watchable store without threads, for tests: the sync rounds run when the test calls
     * {@link #syncUntilIdle()}, progress ticks when the test's timer fires.
     */
    static WatchableStore manual(MvccStore mvcc, WatchConfig config, LongFunction<ResponseHeader> headers,
            ProgressTimer timer) {
        WatchableStore s = new WatchableStore(mvcc, config, headers, timer, () -> { }, false);
        mvcc.setCommitListener(s::committed);
        return s;
    }

    /**
     * Opens a client stream whose responses go to sink, sent on executor (one task at a time).
     */
    public WatchStream openStream(ResponseSink sink, Executor executor) {
        if (closed) {
            throw EtcdError.STOPPED.exception();
        }
        streams.incrementAndGet();
        return new WatchStream(this, sink, executor, timer);
    }

    // ------------------------------------------------------------------ live events

    /**
     * The commit listener: revision rev committed with these events (applier thread, in
     * revision order). Queues them for the synced watchers; never waits for a client.
     */
    void committed(long rev, List<Event> events) {
        lock.lock();
        try {
            if (rev != lastNotified + 1) {
                // cannot happen with MvccStore's contract; if it did, nobody may skip the gap
                LOG.errorf("watch: revision %d notified after %d; catching every watcher up", rev, lastNotified);
                unsyncAll(lastNotified + 1);
            }
            lastNotified = rev;
            recent.add(rev, events);
            if (!synced.isEmpty()) {
                notifySynced(rev, events);
            }
        } finally {
            lock.unlock();
        }
    }

    private void notifySynced(long rev, List<Event> events) {
        try {
            planDelivery(rev, events);
        } catch (RuntimeException e) {
            // nothing of rev was queued: catch everyone up from rev rather than lose it
            LOG.error("watch: delivering revision " + rev + " failed; catching every watcher up", e);
            targets.clear();
            perWatcher.clear();
            unsyncAll(rev);
            return;
        }
        for (int i = 0; i < targets.size(); i++) {
            Watcher w = targets.get(i);
            List<Event> evs = events.size() == 1 ? events : perWatcher.get(w);
            offer(w, rev, evs);
        }
        targets.clear();
        perWatcher.clear();
    }

    /** Finds the synced watchers of rev's events (into targets, and perWatcher for multi-event revisions). */
    private void planDelivery(long rev, List<Event> events) {
        if (events.size() == 1) {
            Event e = events.get(0);
            synced.forEachWatching(e.getKv().getKey(), w -> {
                if (w.minRev <= rev && w.accepts(e)) {
                    targets.add(w);
                }
            });
            return;
        }
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            synced.forEachWatching(e.getKv().getKey(), w -> {
                if (w.minRev <= rev && w.accepts(e)) {
                    List<Event> l = perWatcher.get(w);
                    if (l == null) {
                        l = new ArrayList<>(4);
                        perWatcher.put(w, l);
                        targets.add(w);
                    }
                    l.add(e);
                }
            });
        }
    }

    /** Queues one revision for a synced watcher, or moves it to the unsynced group when its buffer is full. */
    private void offer(Watcher w, long rev, List<Event> evs) {
        if (w.pending.get() >= config.maxPendingPerWatcher()) {
            synced.remove(w);
            w.minRev = rev;
            makeUnsynced(w);
            return; // caught up once its stream has sent some (WatchStream asks for a sync)
        }
        w.pending.incrementAndGet();
        w.stream.enqueue(new Outbound.Events(w, rev, evs));
    }

    private void unsyncAll(long fromRev) {
        for (Watcher w : synced.all()) {
            synced.remove(w);
            w.minRev = Math.max(w.minRev, fromRev);
            makeUnsynced(w);
        }
        requestSync();
    }

    // ------------------------------------------------------------------ watchers

    /**
     * Adds a new watcher (etcd's watchableStore.watch): its "created" response is queued
     * first, under the lock, so it precedes every event. startRev 0 means "after the current
     * revision"; a revision in the future is waited for in the synced group; a past one is
     * caught up by the sync thread.
     */
    void register(Watcher w, long startRev) {
        lock.lock();
        try {
            long rev = lastNotified;
            w.stream.enqueue(new Outbound.Control(WatchResponse.newBuilder()
                    .setHeader(headers.apply(rev)).setWatchId(w.id).setCreated(true).build()));
            if (startRev == 0 || startRev > rev) {
                w.minRev = startRev == 0 ? rev + 1 : startRev;
                w.state = Watcher.State.SYNCED;
                synced.add(w);
            } else {
                w.minRev = startRev;
                makeUnsynced(w);
                requestSync();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Removes a watcher; nothing more is sent for it. Idempotent. */
    void cancel(Watcher w) {
        lock.lock();
        try {
            switch (w.state) {
                case SYNCED -> synced.remove(w);
                case UNSYNCED -> {
                    unsynced.remove(w);
                    leftUnsynced(w);
                }
                default -> { }
            }
            w.state = Watcher.State.CANCELLED;
        } finally {
            lock.unlock();
        }
    }

    void streamClosed(WatchStream s) {
        streams.decrementAndGet();
    }

    private void makeUnsynced(Watcher w) {
        w.state = Watcher.State.UNSYNCED;
        unsynced.add(w);
        w.stream.unsyncedWatchers++;
    }

    /** Call after w left the unsynced group (it was removed from the set by the caller). */
    private void makeSynced(Watcher w) {
        w.state = Watcher.State.SYNCED;
        synced.add(w);
        leftUnsynced(w);
    }

    private void leftUnsynced(Watcher w) {
        WatchStream s = w.stream;
        s.unsyncedWatchers--;
        if (s.unsyncedWatchers == 0 && s.progressOwed) {
            s.progressOwed = false;
            s.enqueue(new Outbound.Control(streamProgress(lastNotified)));
        }
    }

    // ------------------------------------------------------------------ progress

    /**
     * A WatchProgressRequest: a response with watch_id -1 and the current revision, once every
     * watcher of the stream is synced, so the revision it reports is true for all of them
     * (etcd 3.5's RequestProgressAll; one owed response at a time).
     */
    void requestProgress(WatchStream s) {
        lock.lock();
        try {
            if (s.unsyncedWatchers == 0) {
                s.enqueue(new Outbound.Control(streamProgress(lastNotified)));
            } else {
                s.progressOwed = true;
            }
        } finally {
            lock.unlock();
        }
    }

    private WatchResponse streamProgress(long rev) {
        return WatchResponse.newBuilder().setHeader(headers.apply(rev)).setWatchId(WatchStream.INVALID_WATCH_ID)
                .build();
    }

    /** A progress_notify tick for one watcher: only a synced one gets it (etcd's progress()). */
    void progress(Watcher w) {
        lock.lock();
        try {
            if (w.state == Watcher.State.SYNCED && w.pending.get() < config.maxPendingPerWatcher()) {
                w.stream.enqueue(new Outbound.Progress(w, lastNotified));
            }
        } finally {
            lock.unlock();
        }
    }

    /** The interval of a new stream's progress ticks, with etcd's jitter of up to a tenth. */
    Duration progressPeriod() {
        Duration d = config.progressInterval();
        if (config.progressJitter() && d.toNanos() >= 10) {
            d = d.plusNanos(ThreadLocalRandom.current().nextLong(d.toNanos() / 10));
        }
        return d;
    }

    // ------------------------------------------------------------------ catching up

    /** Asks for sync rounds; cheap and non-blocking, callable under the lock. */
    void requestSync() {
        if (syncRequested.compareAndSet(false, true) && syncThread != null) {
            LockSupport.unpark(syncThread);
        }
    }

    private void syncLoop() {
        while (!closed) {
            if (!syncRequested.getAndSet(false)) {
                LockSupport.park(this);
                continue;
            }
            try {
                while (!closed && syncRound()) {
                    // more to do
                }
            } catch (RuntimeException e) {
                LOG.error("watch sync round failed; retrying", e);
                syncRequested.set(true);
                LockSupport.parkNanos(this, 100_000_000L);
            }
        }
    }

    /** Runs sync rounds until none has anything to do (tests, without a sync thread). */
    boolean syncUntilIdle() {
        syncRequested.set(false);
        boolean any = false;
        while (syncRound()) {
            any = true;
        }
        return any;
    }

    /**
     * One round (etcd's syncWatchers): takes up to watchersPerSyncRound unsynced watchers that
     * have room in their buffers, cancels those whose next revision is compacted, catches up
     * from memory those the recent history covers, and then the rest from the backend.
     * Returns whether it did anything.
     */
    boolean syncRound() {
        List<Watcher> fromBackend = new ArrayList<>();
        long upTo;
        boolean did = false;
        lock.lock();
        try {
            if (unsynced.isEmpty()) {
                return false;
            }
            upTo = lastNotified;
            long compactRev = mvcc.compactedRevision();
            List<Watcher> rotate = new ArrayList<>();
            int taken = 0;
            for (Iterator<Watcher> it = unsynced.iterator(); it.hasNext() && taken < config.watchersPerSyncRound();) {
                Watcher w = it.next();
                if (w.pending.get() >= config.resumeBelow()) {
                    continue; // its stream is still sending; it asks again when it has room
                }
                taken++;
                did = true;
                if (w.minRev < compactRev) {
                    // etcd: a watcher whose next revision is compacted gets compact_revision and is cancelled
                    it.remove();
                    w.state = Watcher.State.COMPACTED;
                    leftUnsynced(w);
                    w.stream.enqueue(new Outbound.Compacted(w, compactRev));
                    continue;
                }
                if (w.minRev >= recent.firstRevision()) {
                    long to = Math.min(upTo, w.minRev + config.maxRevisionsPerCatchUp() - 1);
                    CatchUp c = new CatchUp(w, config.catchUpResponseBytes());
                    for (long rev = w.minRev; rev <= to; rev++) {
                        List<Event> evs = recent.eventsAt(rev);
                        for (int i = 0; i < evs.size(); i++) {
                            c.add(rev, evs.get(i));
                        }
                    }
                    c.finish(to);
                    w.minRev = to + 1;
                    if (w.minRev > upTo) {
                        it.remove();
                        makeSynced(w);
                        continue;
                    }
                }
                else {
                    fromBackend.add(w);
                }
                it.remove();
                rotate.add(w); // still unsynced: to the back, so that the others get their turn
            }
            unsynced.addAll(rotate);
        } finally {
            lock.unlock();
        }
        if (!fromBackend.isEmpty()) {
            catchUpFromBackend(fromBackend, upTo);
        }
        return did;
    }

    /**
     * Reads a window of history from the backend, outside the lock, for watchers the recent
     * history no longer covers, and queues what each one wants. They stay unsynced throughout,
     * so nothing else queues events for them; afterwards they move on to the window's end.
     */
    private void catchUpFromBackend(List<Watcher> ws, long upTo) {
        long from = Long.MAX_VALUE;
        WatcherGroup group = new WatcherGroup();
        for (Watcher w : ws) {
            from = Math.min(from, w.minRev);
            group.add(w);
        }
        long fromRev = Math.max(from, 1);
        long to = Math.min(upTo, fromRev + config.maxRevisionsPerCatchUp() - 1);
        Map<Watcher, CatchUp> batches = new IdentityHashMap<>();
        try {
            mvcc.forEachEvent(fromRev, to, e -> group.forEachWatching(e.getKv().getKey(), w -> {
                if (e.getKv().getModRevision() >= w.minRev && w.accepts(e)) {
                    batches.computeIfAbsent(w, x -> new CatchUp(x, config.catchUpResponseBytes()))
                            .add(e.getKv().getModRevision(), e);
                }
            }));
        } catch (EtcdException e) {
            if (e.error == EtcdError.COMPACTED) {
                return; // compacted meanwhile: the next round cancels those watchers
            }
            throw e;
        }
        for (CatchUp c : batches.values()) {
            if (c.watcher.state == Watcher.State.UNSYNCED) {
                c.finish(to);
            }
        }
        lock.lock();
        try {
            for (Watcher w : ws) {
                if (w.state != Watcher.State.UNSYNCED) {
                    continue; // cancelled meanwhile
                }
                w.minRev = Math.max(w.minRev, to + 1);
                if (w.minRev > lastNotified) {
                    unsynced.remove(w);
                    makeSynced(w);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** One watcher's caught-up events, cut into responses of whole revisions. */
    private static final class CatchUp {
        final Watcher watcher;
        final int maxBytes;
        List<Event> current = new ArrayList<>();
        long bytes;
        long lastRev;

        CatchUp(Watcher watcher, int maxBytes) {
            this.watcher = watcher;
            this.maxBytes = maxBytes;
        }

        void add(long rev, Event e) {
            if (!watcher.wants(e)) {
                return;
            }
            if (rev != lastRev && bytes >= maxBytes) {
                flush(lastRev); // cut between revisions only
            }
            current.add(e);
            bytes += e.getSerializedSize();
            lastRev = rev;
        }

        void finish(long headerRev) {
            flush(headerRev);
        }

        private void flush(long headerRev) {
            if (current.isEmpty()) {
                return;
            }
            watcher.pending.incrementAndGet();
            watcher.stream.enqueue(new Outbound.Events(watcher, headerRev, current));
            current = new ArrayList<>();
            bytes = 0;
        }
    }

    // ------------------------------------------------------------------ accessors

    /** The newest revision whose events were handed to the synced watchers. */
    public long revision() {
        return lastNotified;
    }

    ResponseHeader header(long rev) {
        return headers.apply(rev);
    }

    MvccStore mvcc() {
        return mvcc;
    }

    int maxResponseBytes() {
        return config.maxResponseBytes();
    }

    int resumeBelow() {
        return config.resumeBelow();
    }

    /** A coalesced response is cut between revisions once it reaches this size. */
    int coalesceBytes() {
        return config.catchUpResponseBytes();
    }

    /** Watchers in the synced and unsynced groups (etcd_debugging_mvcc_watcher_total). */
    public int watcherCount() {
        lock.lock();
        try {
            return synced.size() + unsynced.size();
        } finally {
            lock.unlock();
        }
    }

    /** Watchers being caught up (etcd_debugging_mvcc_slow_watcher_total). */
    public int slowWatcherCount() {
        lock.lock();
        try {
            return unsynced.size();
        } finally {
            lock.unlock();
        }
    }

    /** Open streams (etcd_debugging_mvcc_watch_stream_total). */
    public int streamCount() {
        return streams.get();
    }

    @Override
    public void close() {
        closed = true;
        mvcc.setCommitListener(null);
        closeTimer.run();
        if (syncThread != null) {
            LockSupport.unpark(syncThread);
            try {
                syncThread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
