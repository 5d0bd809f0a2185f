package io.ketch.server;

import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.wal.Wal;
import io.ketch.wal.WalEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The durable write path of a single member: proposals → WAL (group commit) → applier.
 *
 * <p>The log thread takes every proposal waiting at that moment, gives them consecutive log
 * indexes, appends them and makes them durable with one fdatasync (group commit: the more
 * clients wait, the more each fsync covers). When the apply thread is idle the log thread
 * applies the batch itself (one thread hop less per request at low load); when applying falls
 * behind, batches go to the apply thread so that applying one batch overlaps the fsync of the
 * next. Either way entries are applied strictly in index order, and each proposal's future
 * completes with the applier's result.
 *
 * <p>Invariants: an entry is applied only after it is durable in the WAL; a future completes
 * only after its entry is applied; entries are applied exactly once and in index order.
 * Raft (issue 4) will take the place of the log thread; the apply stage stays as it is.
 */
public final class WritePipeline implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WritePipeline.class);
    /** Raft term of every entry until Raft runs under the member. */
    public static final long SINGLE_MEMBER_TERM = 1;
    /** Like etcd's maxGapBetweenApplyAndCommitIndex: refuse proposals when apply falls this far behind. */
    static final long MAX_APPLY_LAG = 5000;
    private static final int MAX_BATCH = 1024;
    /** Batches up to this size are applied on the log thread when the apply thread is idle. */
    private static final int INLINE_APPLY_MAX = 8;

    /**
     * A proposal waiting for its entry to be applied, or (request == null) a task to run on
     * the log thread between batches, or (both null) the stop marker.
     */
    private record Proposal(InternalRequest request, byte[] bytes, CompletableFuture<Object> result,
                            Runnable logTask) {
        boolean isEntry() {
            return request != null;
        }
    }

    private static final Proposal STOP = new Proposal(null, null, null, null);

    /** A durable run of entries that the apply thread owns from now on. */
    private record Batch(long firstIndex, List<Proposal> proposals) {}

    /** Applies one committed entry; returns the response or throws {@link EtcdException}. */
    @FunctionalInterface
    public interface EntryApplier {
        Object apply(long index, long term, InternalRequest request);
    }

    /** Called on the apply thread after each batch, e.g. to take a snapshot. */
    @FunctionalInterface
    public interface AfterApply {
        void applied(long lastIndex, long term);
    }

    private final Wal wal;
    private final EntryApplier applier;
    private final AfterApply afterApply;
    private final ServerMetrics metrics;
    private final BlockingQueue<Proposal> incoming = new LinkedBlockingQueue<>();
    private final BlockingQueue<Batch> durable = new LinkedBlockingQueue<>();
    private final AtomicLong lastIndex;
    private final AtomicLong appliedIndex;
    /**
     * Batches handed to the apply thread and not yet applied. Only the log thread increments
     * it, so when the log thread reads 0 the apply thread is idle until the next hand-off and
     * the log thread may apply by itself without breaking index order.
     */
    private final AtomicInteger handedOff = new AtomicInteger();
    /** Held while a batch is applied; {@link #withApplyPaused} holds it to run between batches. */
    private final ReentrantLock applyLock = new ReentrantLock();
    private final Thread logThread;
    private final Thread applyThread;
    private volatile boolean stopping;
    private volatile Throwable failure;

    public WritePipeline(Wal wal, long appliedIndex, EntryApplier applier, AfterApply afterApply,
                         ServerMetrics metrics) {
        this.wal = wal;
        this.applier = applier;
        this.afterApply = afterApply;
        this.metrics = metrics;
        this.lastIndex = new AtomicLong(Math.max(wal.lastIndex(), appliedIndex));
        this.appliedIndex = new AtomicLong(appliedIndex);
        this.logThread = new Thread(this::logLoop, "ketch-log");
        this.applyThread = new Thread(this::applyLoop, "ketch-apply");
    }

    public void start() {
        logThread.start();
        applyThread.start();
    }

    /** Queues a proposal; the future completes with the applier's response or its error. */
    public CompletableFuture<Object> propose(InternalRequest request, byte[] bytes) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        if (stopping || failure != null) {
            f.completeExceptionally(EtcdError.STOPPED.exception());
        } else if (lastIndex.get() - appliedIndex.get() > MAX_APPLY_LAG) {
            f.completeExceptionally(EtcdError.TOO_MANY_REQUESTS.exception());
        } else {
            incoming.add(new Proposal(request, bytes, f, null));
        }
        return f;
    }

    public long lastIndex() {
        return lastIndex.get();
    }

    public long appliedIndex() {
        return appliedIndex.get();
    }

    /** Runs a task on the log thread, which owns the WAL (e.g. recording a snapshot marker). */
    public void runOnLogThread(Runnable task) {
        incoming.add(new Proposal(null, null, null, task));
    }

    private void logLoop() {
        List<Proposal> taken = new ArrayList<>();
        List<Proposal> batch = new ArrayList<>();
        List<WalEntry> entries = new ArrayList<>();
        try {
            boolean stop = false;
            while (!stop) {
                taken.add(incoming.take());
                incoming.drainTo(taken, MAX_BATCH - 1);
                for (Proposal p : taken) {
                    if (p.isEntry()) {
                        batch.add(p);
                    } else if (p.logTask() != null) {
                        p.logTask().run();
                    } else {
                        stop = true; // everything queued before the stop marker is still written
                    }
                }
                taken.clear();
                if (batch.isEmpty()) {
                    continue;
                }
                long firstIndex = lastIndex.get() + 1;
                long idx = firstIndex;
                for (Proposal p : batch) {
                    entries.add(new WalEntry(idx++, SINGLE_MEMBER_TERM, 0, p.bytes()));
                }
                wal.append(entries, null);
                long t0 = System.nanoTime();
                wal.sync();
                metrics.walFsync(System.nanoTime() - t0);
                lastIndex.set(idx - 1);
                entries.clear();
                if (batch.size() <= INLINE_APPLY_MAX && handedOff.get() == 0) {
                    // A small batch while the apply thread is idle (it has finished every batch
                    // handed to it and gets no more until we hand one over): applying here keeps
                    // index order and saves a thread hop, the common case at low load.
                    applyBatch(firstIndex, batch);
                    batch.clear();
                } else {
                    // Under load, apply this batch in parallel with the fsync of the next one.
                    handedOff.incrementAndGet();
                    durable.add(new Batch(firstIndex, List.copyOf(batch)));
                    batch.clear();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            fail(e, batch);
        } finally {
            durable.add(new Batch(0, List.of())); // lets the apply thread finish and exit
        }
    }

    private void applyLoop() {
        try {
            while (true) {
                Batch b = durable.take();
                if (b.proposals().isEmpty()) {
                    return;
                }
                applyBatch(b.firstIndex(), b.proposals());
                handedOff.decrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            fail(e, List.of());
        }
    }

    /**
     * Runs a task between two batches, with applying paused: no entry is applied while it
     * runs, so it sees (and may work on) the state at one applied index, e.g. to copy it or
     * to rebuild the backend file. Runs on the calling thread; every write waits until it
     * returns (a defragmentation or a snapshot's pinning step), so do only that here.
     */
    public <T> T withApplyPaused(Supplier<T> task) {
        applyLock.lock();
        try {
            return task.get();
        } finally {
            applyLock.unlock();
        }
    }

    /** Applies a durable batch in index order; runs on whichever thread owns applying now. */
    private void applyBatch(long firstIndex, List<Proposal> proposals) {
        applyLock.lock();
        try {
            applyBatchLocked(firstIndex, proposals);
        } finally {
            applyLock.unlock();
        }
    }

    private void applyBatchLocked(long firstIndex, List<Proposal> proposals) {
        long idx = firstIndex;
        for (Proposal p : proposals) {
            Object result;
            try {
                result = applier.apply(idx, SINGLE_MEMBER_TERM, p.request());
            } catch (EtcdException e) {
                result = e;
            }
            appliedIndex.set(idx);
            metrics.applied();
            if (result instanceof EtcdException e) {
                p.result().completeExceptionally(e);
            } else {
                p.result().complete(result);
            }
            idx++;
        }
        afterApply.applied(idx - 1, SINGLE_MEMBER_TERM);
    }

    /**
     * A WAL or apply failure leaves the member unable to make progress safely: stop taking
     * writes rather than acknowledge anything that might not be durable or applied.
     */
    private void fail(Throwable e, List<Proposal> inFlight) {
        LOG.error("write path failed; refusing further writes", e);
        failure = e;
        for (Proposal p : inFlight) {
            p.result().completeExceptionally(EtcdError.STOPPED.exception());
        }
        Proposal p;
        while ((p = incoming.poll()) != null) {
            if (p.isEntry()) {
                p.result().completeExceptionally(EtcdError.STOPPED.exception());
            }
        }
    }

    public boolean healthy() {
        return failure == null && !stopping;
    }

    /** Finishes every proposal already queued, then stops both threads. */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        incoming.add(STOP);
        logThread.join();
        applyThread.join();
    }
}
