package io.ketch.raft.node;

import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Message;
import io.ketch.raft.MemoryStorage;
import io.ketch.raft.ProposalDroppedException;
import io.ketch.raft.RawNode;
import io.ketch.raft.Ready;
import io.ketch.raft.SoftState;
import io.ketch.raft.StateRole;
import io.ketch.wal.Wal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * Drives the pure Raft core on one thread, as etcd's raft goroutine does: ticks it on a
 * timer, feeds it proposals, and carries out each {@link Ready} in the order Raft requires —
 * entries and hard state appended to the WAL and fsynced, then the entries added to the
 * in-memory log, then messages sent, then committed entries handed to the state machine,
 * then {@code advance}.
 *
 * <p>Group commit falls out of the loop: every proposal waiting when the thread wakes is
 * proposed before the next Ready, so one fdatasync covers all of them.
 *
 * <p>Invariants: only this thread touches the {@link RawNode}, the {@link MemoryStorage} and
 * the {@link Wal}; an entry reaches {@link CommittedEntries} only after it is durable.
 */
public final class RaftNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RaftNode.class);
    private static final int MAX_DRAIN = 4096;

    /** Receives committed entries, in log order, on the Raft thread. Must not block for long. */
    @FunctionalInterface
    public interface CommittedEntries {
        void committed(List<Entry> entries);
    }

    /** Something for the Raft thread: a proposal (data != null), a task, or the stop marker. */
    private record Item(byte[] data, Runnable onDropped, Runnable task) {}

    private static final Item STOP = new Item(null, null, null);

    private final RawNode node;
    private final MemoryStorage storage;
    private final Wal wal;
    private final long tickNanos;
    private final CommittedEntries sink;
    private final LongConsumer fsyncNanos;
    private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile long term;
    private volatile long leader;
    private volatile long lastIndex;
    private volatile long commitIndex;
    private volatile boolean running = true;
    private volatile Throwable failure;

    public RaftNode(RawNode node, MemoryStorage storage, Wal wal, long tickMillis, CommittedEntries sink,
                    LongConsumer fsyncNanos) {
        this.node = node;
        this.storage = storage;
        this.wal = wal;
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
        this.sink = sink;
        this.fsyncNanos = fsyncNanos;
        this.lastIndex = storage.lastIndex();
        this.thread = new Thread(this::loop, "ketch-raft");
    }

    /**
     * Starts the thread. A member that is the only voter campaigns at once instead of waiting
     * for an election timeout, so a single member serves as soon as it has started.
     */
    public void start(boolean campaignNow) {
        if (campaignNow) {
            node.campaign();
        }
        thread.start();
    }

    /**
     * Queues data for the log. {@code onDropped} runs (on the Raft thread) if Raft refuses it
     * now, e.g. when there is no leader or too much is uncommitted.
     */
    public void propose(byte[] data, Runnable onDropped) {
        if (!running || failure != null) {
            onDropped.run();
            return;
        }
        queue.add(new Item(data, onDropped, null));
    }

    /** Runs a task on the Raft thread between Readies (the thread that owns the WAL and log). */
    public void runOnRaftThread(Runnable task) {
        queue.add(new Item(null, null, task));
    }

    /** Releases log entries up to index from memory once a snapshot covers them. */
    public void compactLog(long index) {
        runOnRaftThread(() -> storage.compact(index));
    }

    public long term() {
        return term;
    }

    /** The leader's ID as this member knows it; 0 when there is none. */
    public long leader() {
        return leader;
    }

    public long lastIndex() {
        return lastIndex;
    }

    public long commitIndex() {
        return commitIndex;
    }

    public boolean healthy() {
        return running && failure == null;
    }

    private void loop() {
        List<Item> items = new ArrayList<>();
        long nextTick = System.nanoTime() + tickNanos;
        try {
            boolean stop = false;
            while (!stop) {
                handleReady();
                long wait = nextTick - System.nanoTime();
                Item first = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                if (first != null) {
                    items.add(first);
                    queue.drainTo(items, MAX_DRAIN);
                }
                for (Item it : items) {
                    if (it.data() != null) {
                        try {
                            node.propose(it.data());
                        } catch (ProposalDroppedException e) {
                            it.onDropped().run();
                        }
                    } else if (it.task() != null) {
                        it.task().run();
                    } else {
                        stop = true;
                    }
                }
                items.clear();
                long now = System.nanoTime();
                while (now - nextTick >= 0) {
                    node.tick();
                    nextTick += tickNanos;
                }
            }
            handleReady(); // what was proposed before the stop marker is still made durable
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.error("raft loop failed; this member stops taking writes", e);
            failure = e;
        } finally {
            running = false;
            Item it;
            while ((it = queue.poll()) != null) {
                if (it.data() != null) {
                    it.onDropped().run();
                }
            }
        }
    }

    private void handleReady() throws IOException {
        while (node.hasReady()) {
            Ready rd = node.ready();
            rd.softState().ifPresent(this::onSoftState);
            if (rd.snapshot().isPresent()) {
                // Snapshots from a leader arrive only in multi-member clusters (not built yet).
                throw new IllegalStateException("received a Raft snapshot, which a single member never should");
            }
            HardState hs = rd.hardState().orElse(null);
            if (!rd.entries().isEmpty() || hs != null) {
                wal.append(WalCodec.toWal(rd.entries()), hs == null ? null : WalCodec.toWal(hs));
                if (rd.mustSync() || !rd.entries().isEmpty()) {
                    long t0 = System.nanoTime();
                    wal.sync();
                    fsyncNanos.accept(System.nanoTime() - t0);
                }
            }
            if (!rd.entries().isEmpty()) {
                storage.append(rd.entries());
                lastIndex = rd.entries().get(rd.entries().size() - 1).getIndex();
            }
            if (hs != null) {
                storage.setHardState(hs);
                term = hs.getTerm();
                commitIndex = hs.getCommit();
            }
            for (Message m : rd.messages()) {
                LOG.debugf("no transport yet: dropping %s to %x", m.getType(), m.getTo());
            }
            if (!rd.committedEntries().isEmpty()) {
                sink.committed(rd.committedEntries());
            }
            node.advance(rd);
        }
    }

    private void onSoftState(SoftState s) {
        leader = s.leader();
        if (s.role() == StateRole.LEADER) {
            LOG.infof("%x became leader at term %d", s.leader(), node.status().hardState().getTerm());
        }
    }

    /** Makes everything already queued durable and applied-or-handed-off, then stops the thread. */
    @Override
    public void close() throws InterruptedException {
        if (thread.isAlive()) {
            queue.add(STOP);
            thread.join();
        }
        running = false;
    }
}
