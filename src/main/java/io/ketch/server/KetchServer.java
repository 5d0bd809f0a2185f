package io.ketch.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.apply.Applier;
import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.mvcc.Backend;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.snap.Snapshotter;
import io.ketch.wal.Wal;
import io.ketch.wal.WalEntry;
import io.ketch.watch.WatchConfig;
import io.ketch.watch.WatchableStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The member as a whole: opens and recovers its storage at startup, runs the write
 * pipeline, serves reads, and closes everything cleanly at shutdown. The API layer talks
 * only to this class.
 */
@ApplicationScoped
public class KetchServer {
    private static final Logger LOG = Logger.getLogger(KetchServer.class);

    @Inject
    ServerConfig config;
    @Inject
    MeterRegistry registry;

    private MemberIdentity identity;
    private MemberStorage storage;
    private MvccStore store;
    private Applier applier;
    private WritePipeline pipeline;
    private SnapshotPolicy snapshots;
    private WatchableStore watchable;
    private final AtomicLong nextRequestId = new AtomicLong(System.nanoTime());
    private volatile boolean ready;

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
        Path dataDir = Path.of(config.dataDir());
        storage = MemberStorage.open(dataDir, config.walDir().filter(s -> !s.isBlank()).map(Path::of));
        identity = storage.identity(MemberIdentity.fromConfig(config));
        store = storage.store();
        applier = new Applier(store, leaseId -> false);
        long applied = storage.replayWal(applier);
        ServerMetrics metrics = new ServerMetrics(registry);
        // watchers start from the recovered revision: attach before the pipeline applies anything new
        watchable = WatchableStore.start(store, watchConfig(), this::header);
        snapshots = new SnapshotPolicy(storage, config.snapshotCount(), applied);
        pipeline = new WritePipeline(storage.wal(), applied, this::applyEntry, snapshots::maybeSnapshot, metrics);
        snapshots.attach(pipeline);
        registerGauges(metrics);
        pipeline.start();
        ready = true;
        LOG.infof("ketch member %s (%s) of cluster %s ready at revision %d, applied index %d, in %d ms",
                identity.name(), MemberIdentity.hex(identity.memberId()), MemberIdentity.hex(identity.clusterId()),
                store.currentRevision(), applied, (System.nanoTime() - t0) / 1_000_000);
    }

    private Object applyEntry(long index, long term, InternalRequest request) {
        return applier.apply(index, term, request);
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
                () -> ready ? 1 : 0);
        m.gauge("etcd.server.is.leader", "Whether or not this member is a leader. 1 if is, 0 otherwise.",
                () -> ready ? 1 : 0);
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
                () -> pipeline.lastIndex());
        m.gauge("etcd.server.proposals.pending", "The current number of pending proposals to commit.",
                () -> pipeline.lastIndex() - pipeline.appliedIndex());
    }

    synchronized void close() {
        if (!ready) {
            return;
        }
        ready = false;
        try {
            pipeline.close();
            watchable.close();
            storage.close();
            LOG.info("ketch member closed cleanly");
        } catch (IOException | InterruptedException e) {
            LOG.error("unclean shutdown; the next start rebuilds the store from snapshot and WAL", e);
        }
    }

    public boolean ready() {
        return ready && pipeline.healthy();
    }

    /**
     * Proposes a mutation; the future completes once it is durable and applied, with the
     * applier's response (header revision set) or an {@link EtcdException}.
     */
    public CompletableFuture<Object> propose(InternalRequest.Builder request) {
        if (!ready) {
            return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
        }
        InternalRequest req = request.setId(nextRequestId.incrementAndGet()).build();
        byte[] bytes = req.toByteArray();
        if (bytes.length > config.maxRequestBytes()) {
            return CompletableFuture.failedFuture(EtcdError.REQUEST_TOO_LARGE.exception());
        }
        return pipeline.propose(req, bytes);
    }

    /**
     * A read. On a single member every acknowledged write is applied before it is
     * acknowledged, so reading the applied state is linearizable as well as serializable.
     */
    public RangeResponse range(RangeRequest request) {
        requireReady();
        return applier.range(request);
    }

    /** A txn without writes, served like a read. */
    public TxnResponse readOnlyTxn(TxnRequest request) {
        requireReady();
        return applier.readOnlyTxn(request);
    }

    private void requireReady() {
        if (!ready) {
            throw EtcdError.STOPPED.exception();
        }
    }

    /** A response header for this member at the given revision. */
    public ResponseHeader header(long revision) {
        return ResponseHeader.newBuilder()
                .setClusterId(identity.clusterId())
                .setMemberId(identity.memberId())
                .setRevision(revision)
                .setRaftTerm(WritePipeline.SINGLE_MEMBER_TERM)
                .build();
    }

    public ResponseHeader header() {
        return header(store.currentRevision());
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
        return pipeline.lastIndex();
    }

    public long appliedIndex() {
        return pipeline.appliedIndex();
    }

    public long raftTerm() {
        return WritePipeline.SINGLE_MEMBER_TERM;
    }

    /** The watch machinery of the store; open client streams on it. */
    public WatchableStore watchable() {
        return watchable;
    }

    public ServerConfig config() {
        return config;
    }

    static InternalRequest parse(WalEntry e) {
        try {
            return InternalRequest.parseFrom(e.data());
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException("WAL entry " + e.index() + " is not an InternalRequest", ex);
        }
    }
}
