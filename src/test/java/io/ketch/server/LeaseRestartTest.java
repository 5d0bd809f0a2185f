package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ketch.lease.Lessor;
import io.ketch.pb.etcdserver.LeaseGrantRequest;
import io.ketch.pb.etcdserver.LeaseGrantResponse;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.internal.InternalRequest;
import io.ketch.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leases across restarts of a whole member (storage, recovery, WAL replay, promotion, the
 * expiry loop): they come back with their keys and a full TTL, and still expire afterwards.
 */
class LeaseRestartTest {
    private static final Vertx VERTX = Vertx.vertx();

    @TempDir
    Path dir;

    private KetchServer running;

    @AfterEach
    void stop() {
        if (running != null) {
            running.close();
        }
    }

    private KetchServer start(Path dataDir, long snapshotCount) throws IOException {
        KetchServer s = new KetchServer();
        s.config = new TestConfig(dataDir.toString(), snapshotCount);
        s.registry = new SimpleMeterRegistry();
        s.vertx = VERTX;
        s.open();
        running = s;
        return s;
    }

    private void stopRunning() {
        running.close();
        running = null;
    }

    private static long grant(KetchServer s, long id, long ttl) throws Exception {
        LeaseGrantResponse r = (LeaseGrantResponse) s.propose(InternalRequest.newBuilder()
                .setLeaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(ttl))).get(10, TimeUnit.SECONDS);
        return r.getTTL();
    }

    private static void put(KetchServer s, String key, long lease) throws Exception {
        s.propose(InternalRequest.newBuilder().setPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8("v")).setLease(lease)))
                .get(10, TimeUnit.SECONDS);
    }

    private static boolean exists(KetchServer s, String key) {
        return s.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build(), Runnable::run).join()
                .getKvsCount() == 1;
    }

    private static List<ByteString> keys(String... ks) {
        return Stream.of(ks).map(ByteString::copyFromUtf8).toList();
    }

    @Test
    void leasesComeBackAfterACleanRestartWithTheirKeysAndAFullTtl() throws Exception {
        KetchServer s = start(dir, 100_000);
        grant(s, 7, 60);
        put(s, "a", 7);
        put(s, "b", 7);
        put(s, "c", 0);
        stopRunning();

        s = start(dir, 100_000);
        Lessor.LeaseStatus st = s.lessor().timeToLive(7, true);
        assertNotNull(st);
        assertEquals(60, st.grantedTtl());
        // full TTL plus the election timeout, as etcd's promotion gives it
        assertTrue(st.remainingSeconds() >= 60 && st.remainingSeconds() <= 61, "remaining " + st.remainingSeconds());
        assertEquals(keys("a", "b"), st.keys());
        assertEquals(List.of(7L), s.lessor().leases());
    }

    @Test
    void leasesComeBackAfterACrashFromTheSnapshotAndTheWal() throws Exception {
        // a snapshot every 3 entries: the rebuilt store starts from a snapshot holding the lease bucket
        KetchServer s = start(dir.resolve("live"), 3);
        grant(s, 7, 60);
        grant(s, 8, 30);
        put(s, "a", 7);
        put(s, "b", 8);
        put(s, "c", 7);
        put(s, "b", 7);
        grant(s, 9, 40);
        // snapshots are written off the apply thread: wait for the first one to be in place
        assertTrue(Poll.until(Duration.ofSeconds(15), () -> {
            try (Stream<Path> snaps = Files.list(dir.resolve("live/member/snap"))) {
                return snaps.anyMatch(p -> p.getFileName().toString().endsWith(".snap"));
            } catch (IOException e) {
                return false;
            }
        }), "a snapshot was written");
        // the data dir as a crash leaves it: the backend was never closed, so it is rebuilt
        Path crashed = dir.resolve("crashed");
        copyTree(dir.resolve("live"), crashed);
        stopRunning();

        s = start(crashed, 3);
        assertEquals(keys("a", "b", "c"), s.lessor().keys(7));
        assertEquals(List.of(), s.lessor().keys(8));
        assertTrue(s.lessor().exists(9));
        assertEquals(30, s.lessor().timeToLive(8, false).grantedTtl());
    }

    @Test
    void aLeaseExpiresAfterARestartButNotBeforeItsFullTtl() throws Exception {
        KetchServer s = start(dir, 100_000);
        long ttl = grant(s, 7, 1);
        assertEquals(2, ttl, "etcd's minimum TTL with the default heartbeat and election timeout");
        put(s, "a", 7);
        put(s, "b", 7);
        stopRunning();

        s = start(dir, 100_000);
        long restarted = System.nanoTime();
        long rev = s.store().currentRevision();
        KetchServer member = s;
        // the member's own expiry loop revokes it: nothing here triggers the revoke
        assertTrue(Poll.until(Duration.ofSeconds(15), () -> !exists(member, "a")), "expired within 15 s of the restart");
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
        assertTrue(!exists(s, "b"));
        assertTrue(elapsedMs >= 2000, "not before its TTL: " + elapsedMs + " ms");
        assertEquals(rev + 1, s.store().currentRevision(), "both keys deleted in one revision");
        assertTrue(!s.lessor().exists(7));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** etcd's defaults with a chosen data dir and snapshot count. */
    private record TestConfig(String dataDir, long snapshotCount) implements ServerConfig {
        @Override public String name() { return "default"; }
        @Override public Optional<String> walDir() { return Optional.empty(); }
        @Override public String listenClientUrls() { return "http://localhost:2379"; }
        @Override public String advertiseClientUrls() { return "http://localhost:2379"; }
        @Override public String listenPeerUrls() { return "http://127.0.0.1:0"; }
        @Override public String initialAdvertisePeerUrls() { return "http://localhost:2380"; }
        @Override public String initialCluster() { return "default=http://localhost:2380"; }
        @Override public String initialClusterState() { return "new"; }
        @Override public String initialClusterToken() { return "etcd-cluster"; }
        @Override public long heartbeatInterval() { return 100; }
        @Override public long electionTimeout() { return 1000; }
        @Override public int maxRequestBytes() { return 1572864; }
        @Override public int maxTxnOps() { return 128; }
        @Override public long quotaBackendBytes() { return 0; }
        @Override public String experimentalWatchProgressNotifyInterval() { return "10m"; }
        @Override public long experimentalSnapshotCatchupEntries() { return 5000; }
        @Override public boolean strictReconfigCheck() { return true; }
        @Override public boolean experimentalAutoPromoteLearners() { return false; }
        @Override public String experimentalAutoPromoteLearnersAfter() { return "10s"; }
    }
}
