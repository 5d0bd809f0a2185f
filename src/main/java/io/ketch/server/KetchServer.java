package io.ketch.server;

import io.ketch.alarm.AlarmStore;
import io.ketch.apply.Applier;
import io.ketch.apply.BackendQuota;
import io.ketch.apply.CappingApplier;
import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.lease.LeaseIdGenerator;
import io.ketch.lease.Lessor;
import io.ketch.lease.LessorRecovery;
import io.ketch.membership.MembershipStore;
import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.pb.etcdserver.LeaseTimeToLiveRequest;
import io.ketch.pb.etcdserver.LeaseTimeToLiveResponse;
import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.etcdserver.MemberListResponse;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.raft.ConfState;
import io.ketch.pb.raft.Message;
import io.ketch.pb.raft.SnapshotMetadata;
import io.ketch.raft.MemoryStorage;
import io.ketch.raft.RaftConfig;
import io.ketch.raft.RawNode;
import io.ketch.raft.ReadState;
import io.ketch.raft.node.RaftLogRecovery;
import io.ketch.raft.node.RaftNode;
import io.ketch.transport.PeerTransport;
import io.ketch.transport.TransportConfig;
import io.ketch.watch.WatchConfig;
import io.ketch.watch.WatchableStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jboss.logging.Logger;

/**
 * The member as a whole: opens and recovers its storage at startup, runs Raft with its peers
 * and the apply stage, serves reads (serializable locally, linearizable through ReadIndex),
 * and closes everything cleanly at shutdown. The API layer talks only to this class.
 */
@ApplicationScoped
public class KetchServer {
    private static final Logger LOG = Logger.getLogger(KetchServer.class);
    /** Like etcd's maxGapBetweenApplyAndCommitIndex: refuse proposals when apply falls this far behind. */
    private static final long MAX_APPLY_LAG = 5000;
    private static final long LEADER_WAIT_MILLIS = 10_000;

    @Inject
    ServerConfig config;
    @Inject
    MeterRegistry registry;
    @Inject
    Vertx vertx;

    private MemberIdentity identity;
    private MemberStorage storage;
    private MvccStore store;
    private Applier applier;
    /** The applier chain's entry point: alarms, capped writes, then the KV applier. */
    private CappingApplier entries;
    private NoSpaceAlarm noSpace;
    private Lessor lessor;
    private LeaseIdGenerator leaseIds;
    private LeaseExpiryLoop leaseExpiry;
    private PendingRequests pending;
    private volatile MembershipStore members;
    private MembershipChanges membershipChanges;
    private LeaderTransfer leaderTransfer;
    private PeerTransport transport;
    private RaftPeers peers;
    private LeaseRouter leases;
    private ReadIndexQueue reads;
    private ReadPath readPath;
    private SnapshotPolicy snapshots;
    private ServerMetrics metrics;
    private ScheduledExecutorService timer;
    private volatile long lastLeader;
    /** Told when a snapshot from the leader replaces the whole state (open watch streams end then). */
    private final Set<Runnable> stateReplacedListeners = ConcurrentHashMap.newKeySet();
    private final ExecutorService snapshotInstaller = Executors.newSingleThreadExecutor(DaemonThreads.named("ketch-snapshot-install"));
    private ApplyStage applyStage;
    private RaftNode raft;
    private WatchableStore watchable;
    private volatile boolean ready;
    private final AtomicBoolean removed = new AtomicBoolean();
    /** How the running cluster listed this member when it joined; null unless it joined in this process. */
    private volatile Member joinedAs;

    void onStart(@Observes StartupEvent ev) {
        try {
            open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open data dir " + config.dataDir(), e);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        close();
    }

    synchronized void open() throws IOException {
        long t0 = System.nanoTime();
        openMember();
        LOG.infof("ketch member %s (%s) of cluster %s started at revision %d, raft index %d, term %d, in %d ms",
                identity.name(), MemberIdentity.hex(identity.memberId()), MemberIdentity.hex(identity.clusterId()),
                store.currentRevision(), raft.lastIndex(), raft.term(), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Opens storage, recovers the state, and starts Raft, the apply stage and the member's
     * loops; the peer transport is started the first time and kept across re-opens.
     */
    private void openMember() throws IOException {
        storage = MemberStorage.open(Path.of(config.dataDir()), config.walDir().filter(s -> !s.isBlank()).map(Path::of));
        // A new member with --initial-cluster-state existing joins a running cluster: it learns
        // its IDs and the members from them, starts with an empty log and no membership, and
        // waits for the leader's snapshot. A restarted member ignores the flag, as etcd does.
        boolean joining = RaftLogRecovery.isNewMember(storage.replay()) && "existing".equals(config.initialClusterState());
        JoinDiscovery.Joined joined = joining ? JoinDiscovery.join(config) : null;
        identity = storage.identity(joining ? joined.identity() : MemberIdentity.fromConfig(config));
        if (joining && identity.memberId() != joined.identity().memberId()) {
            throw new IllegalStateException("data dir " + config.dataDir() + " belongs to member "
                    + MemberIdentity.hex(identity.memberId()) + ", but the cluster lists this member as "
                    + MemberIdentity.hex(joined.identity().memberId()));
        }
        if (joining) {
            joinedAs = joined.members().stream().filter(m -> m.getID() == identity.memberId()).findFirst().orElse(null);
        }
        pending = new PendingRequests(identity.memberId());
        store = storage.store();
        members = MembershipStore.open(storage.backend());
        for (MemberIdentity.InitialMember m : identity.initialCluster()) {
            members.seedFounder(m.id(), m.peerUrls());
        }
        // The lessor is rebuilt before Raft re-delivers committed entries (grants, revokes and
        // puts with leases) to the applier.
        lessor = new Lessor(System::nanoTime, Lessor.minTtlSeconds(config.heartbeatInterval(), config.electionTimeout()),
                TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs()));
        LessorRecovery.recover(storage.backend(), store, lessor);
        applier = new Applier(store, lessor);
        BackendQuota quota = BackendQuota.of(config.quotaBackendBytes(),
                new SampledSize(storage.backend()::sizeBytes, 1_000_000));
        warnIfHeapCannotHoldQuota(quota.maxBytes());
        entries = new CappingApplier(applier, AlarmStore.open(storage.backend()), quota);
        noSpace = new NoSpaceAlarm(quota, entries.alarms(), identity.memberId(), this::proposeToLog);
        if (metrics == null) { // once per process: a re-open after a snapshot keeps the meters
            metrics = new ServerMetrics(registry);
            registerGauges(metrics);
        }

        // The membership in force at the store's applied index; committed changes above it are
        // applied again as Raft re-delivers them (and refused as already done).
        ConfState membership = joining ? ConfState.getDefaultInstance() : members.confState();
        boolean soleVoter = membership.getVotersCount() == 1 && membership.getVoters(0) == identity.memberId();
        MemoryStorage log = joining ? new MemoryStorage(membership)
                : RaftLogRecovery.restore(storage.wal(), storage.replay(), membership);
        long applied = Math.max(store.consistentIndex(), log.firstIndex() - 1);
        int electionTicks = (int) Math.max(2, config.electionTimeout() / config.heartbeatInterval());
        RawNode node = new RawNode(RaftConfig.builder(identity.memberId())
                .electionTick(electionTicks).heartbeatTick(1).applied(applied)
                .randomSeed(identity.memberId() ^ System.nanoTime()).build(), log);

        // Watchers start from the recovered revision: attach before Raft re-delivers anything.
        watchable = WatchableStore.start(store, watchConfig(), this::header);
        snapshots = new SnapshotPolicy(storage, members::confState, config.snapshotCount(),
                config.experimentalSnapshotCatchupEntries(), applied);
        applyStage = new ApplyStage(this::applyEntry, (index, cc) -> membershipChanges.apply(index, cc), pending,
                snapshots::maybeSnapshot, metrics, applied);
        raft = new RaftNode(node, log, storage.wal(), config.heartbeatInterval(), applyStage::committed,
                metrics::walFsync);
        snapshots.attach(raft, applyStage);
        reads = new ReadIndexQueue(raft::readIndex, raft::leader, System::nanoTime,
                TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs()));
        readPath = new ReadPath(applier, reads, applyStage, raft, this::requireReady);
        startPeerTransport(raft, joining ? joined.members() : members.list());
        leases = new LeaseRouter(lessor, raft, requestTimeoutMs());
        leases.register(peers);
        membershipChanges = new MembershipChanges(members, raft, pending, identity.memberId(),
                config.strictReconfigCheck(), requestTimeoutMs(), this::removedFromCluster);
        membershipChanges.register(peers);
        peers.onSnapshotNeeded(snapshots::snapshotNow);
        peers.membership(() -> MemberListResponse.newBuilder().setHeader(header()).addAllMembers(members.list()).build()
                .toByteArray(), members::isRemoved, () -> {
                    membershipChanges.removalConfirmedByPeer();
                    removedFromCluster();
                });
        raft.connect(peers, new RaftNode.Listener() {
            @Override
            public void roleChanged(long leader, boolean isLeader, long term) {
                onRoleChanged(leader, isLeader);
            }

            @Override
            public void readStates(List<ReadState> states) {
                reads.answered(states);
            }
        }, snap -> {
            // Snapshots from the leader arrive through the transport (snapshotArrived), never in a Ready.
            throw new IOException("a snapshot reached the Raft core directly at index " + snap.getMetadata().getIndex());
        });
        leaseIds = new LeaseIdGenerator(identity.memberId(), System.currentTimeMillis());
        leaseExpiry = new LeaseExpiryLoop(lessor, this::propose);
        timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ketch-server-timer"));
        leaderTransfer = new LeaderTransfer(raft, members, transport, timer, identity.memberId(),
                config.heartbeatInterval(), config.electionTimeout());
        applyStage.start();
        raft.start(soleVoter);
        if (soleVoter) {
            awaitLeader();
        }
        ready = true;
        leaseExpiry.start();
        timer.scheduleWithFixedDelay(this::expireRequests, 100, 100, TimeUnit.MILLISECONDS);
        new AttributePublisher(identity, this::proposeToLog, timer).start();
        if (config.experimentalAutoPromoteLearners()) {
            new LearnerAutoPromoter(membershipChanges, raft,
                    GoDuration.parse(config.experimentalAutoPromoteLearnersAfter()).toNanos()).start(timer);
        }
    }

    /**
     * This member was removed from the cluster (it applied its removal, or a peer answered
     * 410 Gone): it stops serving and the process exits with status 0, as etcd's does, after
     * a moment so that the leader sees the change reach this member.
     */
    private void removedFromCluster() {
        if (!removed.compareAndSet(false, true)) {
            return;
        }
        LOG.error(PeerTransport.REMOVED_MESSAGE);
        ready = false;
        CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(() -> Quarkus.asyncExit(0));
    }

    /** Every 100 ms: resend or fail slow ReadIndex rounds, fail proposals past etcd's request timeout. */
    private void expireRequests() {
        try {
            reads.tick();
            int failed = pending.expire(System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs()), raft.leader());
            for (int i = 0; i < failed; i++) {
                metrics.proposalFailed();
            }
        } catch (RuntimeException e) {
            LOG.error("expiring requests failed", e); // never let an exception cancel the periodic task
        }
    }

    /**
     * Listens on the peer URLs and connects to every other member, once per process; a re-open
     * (after installing a snapshot, which may carry another membership) brings the transport's
     * peers in line with the members.
     */
    private void startPeerTransport(RaftNode node, List<Member> cluster) {
        Map<Long, List<String>> others = new LinkedHashMap<>();
        cluster.stream().filter(m -> m.getID() != identity.memberId())
                .forEach(m -> others.put(m.getID(), m.getPeerURLsList()));
        if (transport != null) {
            peers.attach(node);
            transport.peerIds().stream().filter(id -> !others.containsKey(id)).forEach(transport::removePeer);
            others.forEach(transport::addPeer);
            return;
        }
        peers = new RaftPeers(storage.snapshotter(), this::snapshotArrived);
        peers.attach(node);
        transport = new PeerTransport(vertx, new TransportConfig(identity.clusterId(), identity.memberId(),
                MemberIdentity.splitUrls(config.listenPeerUrls()), others, storage.snapDir().resolve("incoming")),
                peers, registry);
        peers.attach(transport);
        transport.start().join();
    }

    /**
     * A snapshot from the leader has arrived whole (this member is behind the leader's
     * compacted log). Installing it replaces the whole state, so it is done as a restart of the
     * member from its files, the path every crash recovery already takes: the verified file is
     * put in place under its final name, the member stops, the WAL records the snapshot (the
     * point of no return: before it a crash restarts from the old state, after it from the
     * new one), and the member opens again, rebuilding its store from the snapshot. Runs on
     * its own thread; clients see "server stopped" meanwhile and retry, and open watch streams
     * end so their clients resume from the new state.
     */
    private void snapshotArrived(Message message, Path file) {
        snapshotInstaller.execute(() -> installSnapshot(message, file));
    }

    private synchronized void installSnapshot(Message message, Path file) {
        SnapshotMetadata md = message.getSnapshot().getMetadata();
        try {
            if (raft == null || md.getIndex() <= applyStage.appliedIndex()) {
                LOG.infof("ignoring a snapshot at index %d: already applied up to %d", md.getIndex(),
                        applyStage == null ? 0 : applyStage.appliedIndex());
                Files.deleteIfExists(file);
                return;
            }
            long t0 = System.nanoTime();
            storage.snapshotter().install(file, md.getTerm(), md.getIndex());
            LOG.infof("installing the leader's snapshot at index %d, term %d (applied here: %d)", md.getIndex(),
                    md.getTerm(), applyStage.appliedIndex());
            stopMember();
            stateReplacedListeners.forEach(Runnable::run);
            MemberStorage.recordInstalledSnapshot(Path.of(config.dataDir()),
                    config.walDir().filter(s -> !s.isBlank()).map(Path::of), md.getIndex(), md.getTerm());
            openMember();
            LOG.infof("installed the leader's snapshot at index %d in %d ms: revision %d", md.getIndex(),
                    (System.nanoTime() - t0) / 1_000_000, store.currentRevision());
        } catch (IOException | RuntimeException e) {
            LOG.error("installing the leader's snapshot failed; this member stops", e);
            ready = false;
        }
    }

    /** Applies one committed request: membership attributes here, everything else through the applier chain. */
    private Object applyEntry(long index, long term, InternalRequest request) {
        if (request.hasMemberAttributes()) {
            members.applyAttributes(request.getMemberAttributes());
            return Boolean.TRUE;
        }
        return entries.apply(index, term, request);
    }

    /**
     * On the Raft thread. A new leader becomes the primary lessor and extends every lease by
     * an election timeout (etcd's Promote), so a failover does not expire leases en masse;
     * a member that stops leading stops expiring leases (etcd's Demote). Reads in flight may
     * never be answered by a new leader, so they fail with etcd's "leader changed".
     */
    private void onRoleChanged(long leader, boolean isLeader) {
        long previous = lastLeader;
        lastLeader = leader;
        if (leader != 0 && leader != previous) {
            metrics.leaderChanged();
        }
        if (isLeader && !lessor.isPrimary()) {
            lessor.promote(TimeUnit.MILLISECONDS.toNanos(config.electionTimeout()));
        } else if (!isLeader && lessor.isPrimary()) {
            lessor.demote();
        }
        if (leader != previous) {
            reads.leaderChanged();
        }
    }

    /**
     * Serving starts once this member has a leader (itself, for a single member: at once) and
     * has applied every entry in its log, so that no read after a restart misses a write that
     * was acknowledged before it.
     */
    private void awaitLeader() {
        long deadline = System.nanoTime() + LEADER_WAIT_MILLIS * 1_000_000;
        while (raft.leader() == 0 || raft.term() == 0 || applyStage.appliedIndex() < raft.lastIndex()) {
            if (!raft.healthy() || System.nanoTime() > deadline) {
                throw new IllegalStateException("no Raft leader, or log not applied, after " + LEADER_WAIT_MILLIS + " ms");
            }
            LockSupport.parkNanos(200_000);
        }
    }

    /**
     * etcd's watch settings from the flags: the progress interval (0 or less keeps etcd's 10
     * minutes; below 100 ms is raised to 100 ms, as etcd does) and the fragment size (the max
     * request size plus gRPC's 512 KiB allowance).
     */
    private WatchConfig watchConfig() {
        WatchConfig defaults = WatchConfig.defaults();
        java.time.Duration interval = GoDuration.parse(config.experimentalWatchProgressNotifyInterval());
        if (interval.isNegative() || interval.isZero()) {
            interval = defaults.progressInterval();
        } else if (interval.compareTo(WatchConfig.MIN_PROGRESS_INTERVAL) < 0) {
            LOG.warnf("adjusting watch progress notify interval to minimum period %s", WatchConfig.MIN_PROGRESS_INTERVAL);
            interval = WatchConfig.MIN_PROGRESS_INTERVAL;
        }
        return defaults.withProgressInterval(interval, true)
                .withMaxResponseBytes(config.maxRequestBytes() + 512 * 1024);
    }

    private void registerGauges(ServerMetrics m) {
        m.gauge("etcd.server.has.leader", "Whether or not a leader exists. 1 is existence, 0 is not.",
                () -> raft.leader() != 0 ? 1 : 0);
        m.gauge("etcd.server.is.leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.",
                () -> raft.leader() == identity.memberId() ? 1 : 0);
        m.gauge("etcd.mvcc.db.total.size.in.bytes", "Total size of the underlying database physically allocated in bytes.",
                () -> storage.backend().sizeBytes());
        m.gauge("etcd.mvcc.db.total.size.in.use.in.bytes", "Total size of the underlying database logically in use in bytes.",
                () -> storage.backend().sizeInUseBytes());
        m.gauge("etcd.debugging.mvcc.current.revision", "The current revision of store.",
                () -> store.currentRevision());
        m.gauge("etcd.debugging.mvcc.compact.revision", "The revision of the last compaction in store.",
                () -> store.compactedRevision());
        m.gauge("etcd.debugging.mvcc.watch.stream.total", "Total number of watch streams.",
                () -> watchable.streamCount());
        m.gauge("etcd.debugging.mvcc.watcher.total", "Total number of watchers.", () -> watchable.watcherCount());
        m.gauge("etcd.debugging.mvcc.slow.watcher.total", "Total number of unsynced slow watchers.",
                () -> watchable.slowWatcherCount());
        m.gauge("etcd.server.proposals.committed.total", "The total number of consensus proposals committed.",
                () -> raft.commitIndex());
        m.gauge("etcd.server.proposals.pending", "The current number of pending proposals to commit.",
                () -> raft.lastIndex() - raft.commitIndex());
        m.gauge("etcd.server.term", "The current term of this member.", () -> raft.term());
    }

    synchronized void close() {
        if (raft == null) {
            return;
        }
        if (ready && raft.isLeader() && !raft.isSoleVoter()) {
            // A clean stop hands leadership off first, as etcd's does, so that a rolling restart
            // costs no election timeout.
            try {
                leaderTransfer.handOff().get(3 * config.electionTimeout(), TimeUnit.MILLISECONDS);
                LOG.infof("handed leadership to %s before stopping", MemberIdentity.hex(raft.leader()));
            } catch (Exception e) {
                LOG.warnf("could not hand leadership off before stopping: %s", e.getCause() != null ? e.getCause() : e);
            }
        }
        stopMember();
        transport.close();
        snapshotInstaller.shutdownNow();
        raft = null;
        LOG.info("ketch member closed");
    }

    /** Stops everything {@link #openMember} started, closing the storage cleanly; the transport stays. */
    private void stopMember() {
        ready = false;
        try {
            timer.shutdownNow();
            leaseExpiry.close();
            raft.close();
            applyStage.close();
            snapshots.close();
            reads.failAll(EtcdError.STOPPED);
            pending.failAll(EtcdError.STOPPED);
            watchable.close();
            storage.close();
        } catch (IOException | InterruptedException e) {
            LOG.error("unclean stop; the next start rebuilds the store from snapshot and WAL", e);
        }
    }

    /**
     * The backend file is held in memory (see {@code CachedFileVolume}), so a backend at the
     * quota needs that much heap, with room for everything else; say so at start rather than
     * fail with an OutOfMemoryError later.
     */
    private static void warnIfHeapCannotHoldQuota(long quotaBytes) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (quotaBytes != Long.MAX_VALUE && quotaBytes > maxHeap / 2) {
            LOG.warnf("the backend is held in memory: at --quota-backend-bytes (%d MiB) it would need more than "
                    + "half of the maximum heap (%d MiB); raise the heap (-Xmx) or lower the quota",
                    quotaBytes >> 20, maxHeap >> 20);
        }
    }

    public boolean ready() {
        return ready && raft.healthy() && applyStage.healthy();
    }

    /**
     * Proposes a mutation; the future completes once it is committed, durable and applied,
     * with the applier's response (header revision set) or an {@link EtcdException}.
     */
    public CompletableFuture<Object> propose(InternalRequest.Builder request) {
        if (!ready()) {
            return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
        }
        if (!noSpace.fits(request.build())) {
            return noSpace.refuse();
        }
        return noSpace.afterApply(proposeToLog(request));
    }

    /** Proposes without the space check (alarms themselves, and requests already checked). */
    private CompletableFuture<Object> proposeToLog(InternalRequest.Builder request) {
        if (!ready()) {
            return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
        }
        if (raft.commitIndex() - applyStage.appliedIndex() > MAX_APPLY_LAG) {
            return CompletableFuture.failedFuture(EtcdError.TOO_MANY_REQUESTS.exception());
        }
        long id = pending.nextId();
        byte[] bytes = request.setId(id).build().toByteArray();
        if (bytes.length > config.maxRequestBytes()) {
            return CompletableFuture.failedFuture(EtcdError.REQUEST_TOO_LARGE.exception());
        }
        CompletableFuture<Object> f = pending.register(id, System.nanoTime(), raft.leader());
        raft.propose(bytes, () -> {
            metrics.proposalFailed();
            pending.fail(id, raft.leader() == 0 ? EtcdError.NO_LEADER : EtcdError.TOO_MANY_REQUESTS);
        });
        return f;
    }

    /** A range, through the read path (see {@link ReadPath}); completes on {@code caller} when not at once. */
    public CompletableFuture<RangeResponse> range(RangeRequest request, Executor caller) {
        return readPath.range(request, caller);
    }

    /** A txn without writes, served like a read. */
    public CompletableFuture<TxnResponse> readOnlyTxn(TxnRequest request, Executor caller) {
        return readPath.readOnlyTxn(request, caller);
    }

    private void requireReady() {
        if (!ready) {
            throw EtcdError.STOPPED.exception();
        }
        if (entries.alarms().isActive(AlarmType.CORRUPT)) {
            throw EtcdError.CORRUPT.exception(); // etcd's applierV3Corrupt refuses reads too
        }
    }

    /**
     * etcd's Defragment: shrinks the backend file to its live data. Runs between applied
     * entries (writes wait); reads wait for the file's locks. Blocking: call it off the event loop.
     */
    public void defragment() {
        requireRunning();
        long t0 = System.nanoTime();
        long before = storage.backend().sizeBytes();
        applyStage.withApplyPaused(() -> {
            storage.backend().defragment();
            return null;
        });
        LOG.infof("defragmented the backend: %d -> %d bytes in %d ms", before, storage.backend().sizeBytes(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * A consistent point-in-time copy of the store in a temporary file, for
     * Maintenance.Snapshot (see {@link SnapshotExport}). Blocking: call it off the event loop,
     * and close the result to delete the file.
     */
    public SnapshotExport exportSnapshot() throws IOException {
        requireRunning();
        long t0 = System.nanoTime();
        SnapshotExport export = SnapshotExport.write(storage.snapDir(), applyStage, storage);
        LOG.infof("wrote a snapshot for a client: revision %d, index %d, %d bytes in %d ms", export.revision(),
                export.index(), export.size(), (System.nanoTime() - t0) / 1_000_000);
        return export;
    }

    private void requireRunning() {
        if (!ready) {
            throw EtcdError.STOPPED.exception();
        }
    }

    /** A keepalive (answered by the leader's lessor): the TTL left after renewing, 0 if the lease is gone. */
    public CompletableFuture<Long> renewLease(long id) {
        if (!ready) {
            return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
        }
        return leases.renew(id);
    }

    /** TimeToLive from the leader's view, with this member's header. */
    public CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest request) {
        if (!ready) {
            return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
        }
        return leases.timeToLive(request).thenApply(r -> r.toBuilder().setHeader(header()).build());
    }

    /** The lessor itself, for tests in this package. */
    Lessor lessor() {
        return lessor;
    }

    /** Every lease's ID (the replicated set, so any member answers). */
    public List<Long> leaseIds() {
        requireReady();
        return lessor.leases();
    }

    /** A fresh server-chosen lease ID (chosen before proposing, carried in the entry). */
    public long nextLeaseId() {
        return leaseIds.next();
    }

    /** etcd's ReqTimeout(): 5 s plus two election timeouts. */
    public long requestTimeoutMs() {
        return 5000 + 2 * config.electionTimeout();
    }

    /** The alarms raised in the cluster (changed only by the applier). */
    public AlarmStore alarms() {
        return entries.alarms();
    }

    /** A response header for this member at the given revision. */
    public ResponseHeader header(long revision) {
        return ResponseHeader.newBuilder()
                .setClusterId(identity.clusterId())
                .setMemberId(identity.memberId())
                .setRevision(revision)
                .setRaftTerm(raft.term())
                .build();
    }

    public ResponseHeader header() {
        return header(store.currentRevision());
    }

    /**
     * The member list; a linearizable one reflects every change committed before the call
     * (a ReadIndex round first, as for a linearizable range). Completes on {@code caller}
     * when not at once.
     */
    public CompletableFuture<List<Member>> memberList(boolean linearizable, Executor caller) {
        if (!linearizable) {
            return CompletableFuture.completedFuture(members.list());
        }
        return readPath.barrier(caller).thenApply(v -> members.list());
    }

    /** MemberAdd (etcd's checks, then a configuration change through the log). */
    public CompletableFuture<MemberChangeResult> addMember(List<String> peerUrls, boolean learner) {
        return ready ? membershipChanges.add(peerUrls, learner) : CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
    }

    /**
     * MemberRemove. Removing the leader itself first hands leadership to the most up-to-date
     * connected voter, so the cluster does not wait out an election timeout.
     */
    public CompletableFuture<MemberChangeResult> removeMember(long id) {
        if (!ready) {
            return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
        }
        if (id == identity.memberId()) {
            return leaderTransfer.handOff().handle((v, e) -> null).thenCompose(v -> membershipChanges.remove(id));
        }
        return membershipChanges.remove(id);
    }

    public CompletableFuture<MemberChangeResult> updateMember(long id, List<String> peerUrls) {
        return ready ? membershipChanges.update(id, peerUrls) : CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
    }

    public CompletableFuture<MemberChangeResult> promoteMember(long id) {
        return ready ? membershipChanges.promote(id) : CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
    }

    /** etcd's MoveLeader (see {@link LeaderTransfer#moveTo}). */
    public CompletableFuture<Void> moveLeader(long target) {
        requireRunning();
        return leaderTransfer.moveTo(target);
    }

    /** Whether this member is a learner (it receives the log but neither votes nor counts for a quorum). */
    public boolean isLearner() {
        MembershipStore m = members;
        Member self = m == null ? null : m.get(identity.memberId());
        if (self == null) {
            self = joinedAs; // joined, and not yet sent the cluster's state
        }
        return self != null && self.getIsLearner();
    }

    public MemberIdentity identity() {
        return identity;
    }

    public MvccStore store() {
        return store;
    }

    public Backend backend() {
        return storage.backend();
    }

    public long raftIndex() {
        return raft.lastIndex();
    }

    public long appliedIndex() {
        return applyStage.appliedIndex();
    }

    public long raftTerm() {
        return raft.term();
    }

    public long leader() {
        return raft.leader();
    }

    /**
     * Registers a task run when the member's whole state is replaced by a snapshot from the
     * leader (the store it was attached to is gone); close the result to unregister.
     */
    public AutoCloseable onStateReplaced(Runnable task) {
        stateReplacedListeners.add(task);
        return () -> stateReplacedListeners.remove(task);
    }

    /** The watch machinery of the store; open client streams on it. */
    public WatchableStore watchable() {
        return watchable;
    }

    public ServerConfig config() {
        return config;
    }
}
