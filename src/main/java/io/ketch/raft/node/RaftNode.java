package io.ketch.raft.node;

import io.ketch.pb.raft.ConfChange;
import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Entry;
import io.ketch.pb.raft.EntryType;
import io.ketch.pb.raft.HardState;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.MessageType;
import io.ketch.pb.raft.Snapshot;
import io.ketch.raft.MemoryStorage;
import io.ketch.raft.ProposalDroppedException;
import io.ketch.raft.RawNode;
import io.ketch.raft.ReadState;
import io.ketch.raft.Ready;
import io.ketch.raft.SnapshotStatus;
import io.ketch.raft.SoftState;
import io.ketch.raft.StateRole;
import io.ketch.raft.Status;
import io.ketch.wal.Wal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.jboss.logging.Logger;

/**
 * Drives the pure Raft core on one thread, as etcd's raft goroutine does: ticks it on a
 * timer, feeds it proposals and peers' messages, and carries out each {@link Ready} in the
 * order Raft requires — snapshot, entries and hard state appended to the WAL and fsynced,
 * then the entries added to the in-memory log, then messages handed to the peer transport,
 * then committed entries handed to the state machine, then {@code advance}.
 *
 * <p>Group commit falls out of the loop: every proposal and message waiting when the thread
 * wakes is stepped before the next Ready, so one fdatasync covers all of them.
 *
 * <p>Invariants: only this thread touches the {@link RawNode}, the {@link MemoryStorage} and
 * the {@link Wal}; an entry reaches {@link CommittedEntries} only after it is durable; a
 * follower's or candidate's message leaves only after the state it depends on (a vote, an
 * acknowledged append) is durable. A leader's appends may leave before its own fsync (see
 * {@link #handleReady}).
 */
public final class RaftNode implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RaftNode.class);
    private static final int MAX_DRAIN = 4096;

    /** Receives committed entries, in log order, on the Raft thread. Must not block for long. */
    @FunctionalInterface
    public interface CommittedEntries {
        void committed(List<Entry> entries);
    }

    /** Where messages to peers go. Both calls come from the Raft thread and must never block. */
    public interface Outbox {
        void send(List<Message> messages);

        /** A MSG_SNAP: the transport streams the state-machine snapshot at its index. */
        void sendSnapshot(Message snapshot);

        Outbox NONE = new Outbox() {
            @Override
            public void send(List<Message> messages) {
                // a member alone has no one to talk to
            }

            @Override
            public void sendSnapshot(Message snapshot) {
            }
        };
    }

    /** Told on the Raft thread about leadership and ReadIndex answers. Must not block. */
    public interface Listener {
        /** The leader (0: none) or this member's role changed. */
        void roleChanged(long leader, boolean isLeader, long term);

        /** ReadIndex answers, in the order the core produced them. */
        void readStates(List<ReadState> states);
    }

    /**
     * Installs a snapshot received from the leader into the state machine, on the Raft thread
     * before any later committed entry is handed over. After it returns, the state machine is
     * at the snapshot's index (durably: a crash afterwards restarts from it).
     */
    @FunctionalInterface
    public interface SnapshotInstaller {
        void install(Snapshot snapshot) throws IOException;
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
    private Outbox outbox = Outbox.NONE;
    private Listener listener;
    private SnapshotInstaller installer;
    private volatile long term;
    /** The vote of the durable hard state (Raft thread only). */
    private long vote;
    private volatile long leader;
    private volatile boolean isLeader;
    private volatile long lastIndex;
    private volatile long commitIndex;
    private volatile boolean running = true;
    /** Set by {@link #close}: the thread stops waiting for membership changes to be applied. */
    private volatile boolean stopping;
    private volatile Throwable failure;
    /**
     * Verdicts on committed CONF_CHANGE entries, in log order, from the state machine: the
     * change for the core to install, or {@link #REFUSED} when the application refused it.
     */
    private final BlockingQueue<ConfChange> confChangeVerdicts = new LinkedBlockingQueue<>();
    private static final ConfChange REFUSED = ConfChange.newBuilder().setId(-1).build();
    /** The membership in force in the core (Raft thread writes). */
    private volatile ConfState confState;

    public RaftNode(RawNode node, MemoryStorage storage, Wal wal, long tickMillis, CommittedEntries sink,
                    LongConsumer fsyncNanos) {
        this.node = node;
        this.storage = storage;
        this.wal = wal;
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
        this.sink = sink;
        this.fsyncNanos = fsyncNanos;
        this.lastIndex = storage.lastIndex();
        this.term = storage.hardState().getTerm();
        this.vote = storage.hardState().getVote();
        this.commitIndex = storage.hardState().getCommit();
        this.confState = node.status().config();
        this.thread = new Thread(this::loop, "ketch-raft");
    }

    /** Connects the peer transport, leadership listener and snapshot installer; call before {@link #start}. */
    public void connect(Outbox outbox, Listener listener, SnapshotInstaller installer) {
        this.outbox = outbox;
        this.listener = listener;
        this.installer = installer;
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

    /**
     * Proposes a membership change; {@code onDropped} runs (on the Raft thread) if Raft refuses
     * it now. A leader that cannot admit it (another change is pending) logs an empty entry
     * in its place, so its proposer is only told by its timeout, as in etcd.
     */
    public void proposeConfChange(ConfChange cc, Runnable onDropped) {
        if (!running || failure != null) {
            onDropped.run();
            return;
        }
        runOnRaftThread(() -> {
            try {
                node.proposeConfChange(cc);
            } catch (ProposalDroppedException e) {
                onDropped.run();
            }
        });
    }

    /**
     * The state machine's verdict on the next committed CONF_CHANGE entry, given by the
     * thread that applied it, in log order: {@code cc} to install it in the core, null if the
     * application refused it (etcd then installs nothing either).
     */
    public void confChangeApplied(ConfChange cc) {
        confChangeVerdicts.add(cc == null ? REFUSED : cc);
    }

    /**
     * Whether the membership has one voter (learners aside): a leader that is that voter
     * commits, and may serve linearizable reads, without asking anyone.
     */
    public boolean isSoleVoter() {
        ConfState cs = confState;
        return cs.getVotersCount() == 1 && cs.getVotersOutgoingCount() == 0;
    }

    /** Asks the leader (directly or through this follower) to hand leadership to {@code transferee}. */
    public void transferLeader(long transferee) {
        runOnRaftThread(() -> node.transferLeader(transferee));
    }

    /** The core's view of the cluster, taken on the Raft thread (progress of every member on a leader). */
    public CompletableFuture<Status> status() {
        CompletableFuture<Status> f = new CompletableFuture<>();
        runOnRaftThread(() -> f.complete(node.status()));
        return f;
    }

    /** Delivers a peer's message (any thread). */
    public void step(Message m) {
        runOnRaftThread(() -> node.step(m));
    }

    /** Asks for a ReadIndex; the answer comes to {@link Listener#readStates} with the same context. */
    public void readIndex(byte[] context) {
        runOnRaftThread(() -> node.readIndex(context));
    }

    public void reportUnreachable(long peer) {
        runOnRaftThread(() -> node.reportUnreachable(peer));
    }

    public void reportSnapshot(long peer, boolean ok) {
        runOnRaftThread(() -> node.reportSnapshot(peer, ok ? SnapshotStatus.FINISH : SnapshotStatus.FAILURE));
    }

    /** Runs a task on the Raft thread between Readies (the thread that owns the WAL and log). */
    public void runOnRaftThread(Runnable task) {
        queue.add(new Item(null, null, task));
    }

    /**
     * A state-machine snapshot now covers the log up to {@code index}: records it as the log's
     * snapshot (what a follower behind the log receives) and releases entries from memory,
     * keeping {@code keepEntries} before it so a slightly slow follower catches up from the log
     * (etcd keeps 5000). {@code membership} is the one in force at {@code index} (the core's
     * may already be newer).
     */
    public void snapshotTaken(long index, ConfState membership, long keepEntries) {
        runOnRaftThread(() -> {
            if (index > storage.snapshot().getMetadata().getIndex() && index <= storage.lastIndex()) {
                storage.createSnapshot(index, membership, com.google.protobuf.ByteString.EMPTY);
            }
            long compactTo = index - keepEntries;
            if (compactTo > storage.firstIndex()) {
                storage.compact(compactTo);
            }
        });
    }

    public long term() {
        return term;
    }

    /** The leader's ID as this member knows it; 0 when there is none. */
    public long leader() {
        return leader;
    }

    public boolean isLeader() {
        return isLeader;
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
                installSnapshot(rd.snapshot().get());
            }
            HardState hs = rd.hardState().orElse(null);
            // A leader sends before its own fsync, so followers write in parallel with it (Raft
            // thesis §10.2.1, as etcd's leader does). Safe because this one thread makes the
            // entries durable before it steps any answer: no acknowledgement can commit an entry
            // (the leader counts itself) until the leader's own copy is on disk. Not when this
            // Ready changes the term or vote: those must be durable before anyone hears of them.
            boolean sendFirst = isLeader && (hs == null || (hs.getTerm() == term && hs.getVote() == vote));
            if (sendFirst) {
                send(rd.messages());
            }
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
                vote = hs.getVote();
                commitIndex = hs.getCommit();
            }
            if (!sendFirst) {
                send(rd.messages());
            }
            if (!rd.committedEntries().isEmpty()) {
                sink.committed(rd.committedEntries());
                installConfChanges(rd.committedEntries());
            }
            if (!rd.readStates().isEmpty() && listener != null) {
                listener.readStates(rd.readStates());
            }
            node.advance(rd);
        }
    }

    /**
     * Installs the membership changes among committed entries once the state machine has
     * applied them, before anything else happens on this thread (as etcd's raft loop waits for
     * its apply loop): the core must never count votes or a quorum with a membership the
     * application has not applied, nor admit the next change before this one is in force.
     */
    private void installConfChanges(List<Entry> committed) throws IOException {
        for (Entry e : committed) {
            if (e.getType() != EntryType.CONF_CHANGE) {
                continue;
            }
            ConfChange verdict = null;
            try {
                while (verdict == null) {
                    if (stopping) {
                        throw new IOException("stopped while waiting for membership change " + e.getIndex() + " to be applied");
                    }
                    verdict = confChangeVerdicts.poll(100, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for membership change " + e.getIndex(), ie);
            }
            if (verdict != REFUSED) {
                confState = node.applyConfChange(verdict);
                LOG.infof("membership at index %d: voters %s, learners %s", e.getIndex(),
                        hexIds(confState.getVotersList()), hexIds(confState.getLearnersList()));
            }
        }
    }

    private static List<String> hexIds(List<Long> ids) {
        return ids.stream().map(Long::toHexString).toList();
    }

    private void send(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        List<Message> plain = new ArrayList<>(messages.size());
        for (Message m : messages) {
            if (m.getType() == MessageType.MSG_SNAP) {
                outbox.sendSnapshot(m);
            } else {
                plain.add(m);
            }
        }
        if (!plain.isEmpty()) {
            outbox.send(plain);
        }
    }

    /**
     * A snapshot from the leader: the state machine installs it first (its data file is
     * already durable), then the WAL records the marker, so a crash in between restarts from
     * the old log or the new snapshot, never a mixture.
     */
    private void installSnapshot(Snapshot snap) throws IOException {
        if (installer == null) {
            throw new IllegalStateException("received a Raft snapshot but no installer is connected");
        }
        long index = snap.getMetadata().getIndex();
        LOG.infof("installing snapshot at index %d, term %d from the leader", index, snap.getMetadata().getTerm());
        installer.install(snap);
        wal.saveSnapshotMarker(new io.ketch.wal.SnapshotMarker(index, snap.getMetadata().getTerm()));
        wal.sync();
        storage.applySnapshot(snap);
        lastIndex = Math.max(lastIndex, index);
        confState = snap.getMetadata().getConfState();
    }

    private void onSoftState(SoftState s) {
        long previous = leader;
        leader = s.leader();
        isLeader = s.role() == StateRole.LEADER;
        long t = node.status().hardState().getTerm();
        if (isLeader) {
            LOG.infof("%x became leader at term %d", s.leader(), t);
        } else if (previous != s.leader()) {
            LOG.infof("leader is now %x at term %d", s.leader(), t);
        }
        if (listener != null) {
            listener.roleChanged(s.leader(), isLeader, t);
        }
    }

    /** Makes everything already queued durable and applied-or-handed-off, then stops the thread. */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) {
            queue.add(STOP);
            thread.join();
        }
        running = false;
    }
}
