package io.ketch.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Applies committed log entries to the state machine, strictly in log order, and completes
 * the calls waiting for them.
 *
 * <p>Committed entries arrive on the Raft thread. A small batch while the apply thread is
 * idle is applied right there (one thread hop less per request at low load); otherwise the
 * batch goes to the apply thread, so applying overlaps the next fsync under load.
 *
 * <p>Invariant: at most one thread applies at a time and batches are applied in arrival
 * order. {@link #handedOff} counts batches given to the apply thread and not yet applied;
 * only the Raft thread increments it, so when it reads 0 the apply thread is idle until the
 * next hand-off and the Raft thread may apply by itself.
 */
final class ApplyStage implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ApplyStage.class);
    /** Batches up to this size are applied on the Raft thread when the apply thread is idle. */
    private static final int INLINE_APPLY_MAX = 8;
    private static final List<Entry> STOP = List.of();

    /** Applies one request; returns the response or throws {@link EtcdException}. */
    @FunctionalInterface
    interface EntryApplier {
        Object apply(long index, long term, InternalRequest request);
    }

    /**
     * Applies one membership change (a CONF_CHANGE entry) and tells Raft its verdict; returns
     * the proposer's response or an {@link EtcdException}.
     */
    @FunctionalInterface
    interface ConfChangeApplier {
        Object apply(long index, ConfChange change);
    }

    /** Called after each batch, on the thread that applied it (e.g. to take a snapshot). */
    @FunctionalInterface
    interface AfterApply {
        void applied(long lastIndex, long term);
    }

    private final EntryApplier applier;
    private final ConfChangeApplier confChanges;
    private final PendingRequests pending;
    private final AfterApply afterApply;
    private final ServerMetrics metrics;
    private final BlockingQueue<List<Entry>> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger handedOff = new AtomicInteger();
    private final AtomicLong appliedIndex;
    private final Thread thread = new Thread(this::loop, "ketch-apply");
    /** Held while a batch is applied; {@link #withApplyPaused} holds it to run between batches. */
    private final ReentrantLock applyLock = new ReentrantLock();
    private volatile Throwable failure;
    private volatile long appliedTerm;
    /** Reads waiting for the applied index to reach theirs, by index; guarded by itself. */
    private final PriorityQueue<AppliedWaiter> appliedWaiters =
            new PriorityQueue<>(Comparator.comparingLong(AppliedWaiter::index));

    private record AppliedWaiter(long index, CompletableFuture<Void> done) {}

    /** Set under appliedWaiters' lock once the stage has stopped applying. */
    private boolean closed;

    ApplyStage(EntryApplier applier, ConfChangeApplier confChanges, PendingRequests pending, AfterApply afterApply,
               ServerMetrics metrics, long appliedIndex) {
        this.applier = applier;
        this.confChanges = confChanges;
        this.pending = pending;
        this.afterApply = afterApply;
        this.metrics = metrics;
        this.appliedIndex = new AtomicLong(appliedIndex);
    }

    void start() {
        thread.start();
    }

    long appliedIndex() {
        return appliedIndex.get();
    }

    /** The term of the entry at {@link #appliedIndex()} (read them together only with applying paused). */
    long appliedTerm() {
        return appliedTerm;
    }

    /**
     * Completes once every entry up to {@code index} is applied (at once if it already is), on
     * the thread that applied it: continue elsewhere for anything but a hand-off.
     */
    CompletableFuture<Void> waitApplied(long index) {
        if (appliedIndex.get() >= index) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (appliedWaiters) {
            if (closed) {
                return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
            }
            appliedWaiters.add(new AppliedWaiter(index, f));
        }
        // the batch that reaches index may have finished between the check and the add
        releaseAppliedWaiters();
        return f;
    }

    private void releaseAppliedWaiters() {
        long applied = appliedIndex.get();
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (appliedWaiters) {
            while (!appliedWaiters.isEmpty() && appliedWaiters.peek().index() <= applied) {
                ready.add(appliedWaiters.poll().done());
            }
        }
        ready.forEach(f -> f.complete(null));
    }

    boolean healthy() {
        return failure == null;
    }

    /** Takes committed entries from the Raft thread. */
    void committed(List<Entry> entries) {
        if (failure != null) {
            throw new IllegalStateException("apply stage failed earlier", failure);
        }
        if (entries.size() <= INLINE_APPLY_MAX && handedOff.get() == 0) {
            applyAll(entries);
        } else {
            handedOff.incrementAndGet();
            queue.add(entries);
        }
    }

    private void loop() {
        try {
            while (true) {
                List<Entry> batch = queue.take();
                if (batch == STOP) {
                    return;
                }
                applyAll(batch);
                handedOff.decrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("applying committed entries failed; this member stops taking writes", e);
            failure = e;
        }
    }

    /**
     * Runs a task between two batches, with applying paused: no entry is applied while it
     * runs, so it sees (and may work on) the state at one applied index, e.g. to copy it or to
     * rebuild the backend file. Runs on the calling thread; every write waits until it returns,
     * so do only that here.
     */
    <T> T withApplyPaused(Supplier<T> task) {
        applyLock.lock();
        try {
            return task.get();
        } finally {
            applyLock.unlock();
        }
    }

    private void applyAll(List<Entry> entries) {
        applyLock.lock();
        try {
            applyAllLocked(entries);
        } finally {
            applyLock.unlock();
        }
    }

    private void applyAllLocked(List<Entry> entries) {
        long term = 0;
        for (Entry e : entries) {
            if (e.getType() == EntryType.NORMAL && !e.getData().isEmpty()) {
                InternalRequest req = parse(e);
                Object result;
                try {
                    result = applier.apply(e.getIndex(), e.getTerm(), req);
                } catch (EtcdException ex) {
                    result = ex;
                }
                pending.complete(req.getId(), result);
            } else if (e.getType() == EntryType.CONF_CHANGE) {
                ConfChange cc = parseConfChange(e);
                Object result = confChanges.apply(e.getIndex(), cc);
                if (cc.getId() != 0) {
                    pending.complete(cc.getId(), result);
                }
            }
            // Empty entries (a new leader's first entry, a change the leader refused) change nothing.
            term = e.getTerm();
            appliedTerm = term;
            appliedIndex.set(e.getIndex());
            metrics.applied();
        }
        releaseAppliedWaiters();
        afterApply.applied(appliedIndex.get(), term);
    }

    private static ConfChange parseConfChange(Entry e) {
        try {
            return ConfChange.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException("log entry " + e.getIndex() + " is not a ConfChange", ex);
        }
    }

    private static InternalRequest parse(Entry e) {
        try {
            return InternalRequest.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException("log entry " + e.getIndex() + " is not an InternalRequest", ex);
        }
    }

    /** Applies everything already handed over, then stops the apply thread. */
    @Override
    public void close() throws InterruptedException {
        queue.add(STOP);
        thread.join();
        // nothing more will be applied by this stage: reads waiting for an index fail (a
        // re-opened member has a new stage; their clients retry there)
        List<CompletableFuture<Void>> stranded = new ArrayList<>();
        synchronized (appliedWaiters) {
            closed = true;
            appliedWaiters.forEach(w -> stranded.add(w.done()));
            appliedWaiters.clear();
        }
        stranded.forEach(f -> f.completeExceptionally(EtcdError.STOPPED.exception()));
    }
}
