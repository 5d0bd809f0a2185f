package io.ketch.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.PutResponse;
import io.ketch.e2e.support.Await;
import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.LocalCluster;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three members as separate processes on loopback, driven by the real etcdctl (all three
 * endpoints) and jetcd: writes and reads on different members, then the leader killed with
 * SIGKILL under a load of concurrent puts, a follower killed the same way, and the leader
 * paused with SIGSTOP for several election timeouts. After each, every acknowledged put must
 * be on every member with the value and revision it was acknowledged with, and
 * {@code etcdctl endpoint hashkv} must agree on every member.
 */
class ClusterFailoverIT {
    private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\":(\\d+)");
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
    private static final Pattern HASH = Pattern.compile("\"hash\":(\\d+)");
    /** etcd's default election timeout, which the members run with. */
    private static final Duration ELECTION_TIMEOUT = Duration.ofMillis(1000);

    private LocalCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aWriteOnOneMemberIsReadOnEveryOtherAndEveryMemberListsTheCluster() {
        cluster = LocalCluster.of(3).start();
        Etcdctl all = new Etcdctl(cluster.endpoints());
        // a watch on one member sees a write made through another, from that member's own state
        try (var watch = Etcdctl.of(cluster.member(2)).start("watch", "greeting")) {
            Await.until("the watch to be registered", Duration.ofSeconds(10),
                    () -> httpGet(cluster.member(2).clientUrl() + "/metrics").contains("etcd_debugging_mvcc_watcher_total 1.0"));
            Etcdctl.of(cluster.member(0)).ok("put", "greeting", "hello");
            assertEquals(List.of("PUT", "greeting", "hello"), watch.awaitLines(3, Duration.ofSeconds(10)));
        }
        for (ServerProcess m : cluster.members()) {
            // linearizable (the default): must see the write at once, on every member
            assertEquals("greeting\nhello\n", Etcdctl.of(m).ok("get", "greeting").stdout(), m.name());
        }
        Etcdctl.of(cluster.member(2)).ok("put", "greeting", "bye");
        assertEquals("greeting\nbye\n", Etcdctl.of(cluster.member(1)).ok("get", "greeting").stdout());
        Await.until("a serializable read on m1 to see the write made on m3", Duration.ofSeconds(10),
                () -> Etcdctl.of(cluster.member(0)).ok("get", "greeting", "--consistency=s").stdout().contains("bye"));

        // every member publishes its name and client URLs through the log
        for (ServerProcess m : cluster.members()) {
            Await.until(m.name() + " to list every member with its name and client URL", Duration.ofSeconds(10), () -> {
                String list = Etcdctl.of(m).ok("member", "list").stdout();
                return cluster.members().stream().allMatch(o -> list.contains(", started, " + o.name() + ", "
                        + o.peerUrl() + ", " + o.clientUrl() + ", false"));
            });
        }
        // one leader, the same for all, with the same term
        long leader = leaderSeenByAll();
        assertTrue(memberIds().contains(leader));
        String status = all.ok("endpoint", "status", "-w", "json").stdout();
        assertEquals(3, countMatches(status, "\"leader\":" + Long.toUnsignedString(leader) + ","), status);

        // etcd's cluster metrics, with a live peer link to each of the two others
        String metrics = Await.value("peer traffic in the metrics", Duration.ofSeconds(10), () -> {
            String text = httpGet(cluster.member(0).clientUrl() + "/metrics");
            return text.contains("etcd_network_peer_round_trip_time_seconds_count") ? Optional.of(text) : Optional.empty();
        });
        for (String name : List.of("etcd_server_has_leader 1.0", "etcd_server_leader_changes_seen_total",
                "etcd_server_proposals_failed_total", "etcd_network_peer_sent_bytes_total{To=",
                "etcd_network_peer_received_bytes_total{From=", "etcd_network_peer_round_trip_time_seconds_bucket{To=")) {
            assertTrue(metrics.contains(name), name + " missing from /metrics");
        }
        List<String> active = metrics.lines().filter(l -> l.startsWith("etcd_network_active_peers{")).toList();
        assertEquals(2, active.stream().filter(l -> l.endsWith(" 1.0")).count(), "two active peers: " + active);
        assertTrue(httpGet(cluster.member(1).clientUrl() + "/health").contains("\"health\":\"true\""));
    }

    private static String httpGet(String url) {
        try {
            var client = java.net.http.HttpClient.newHttpClient();
            return client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void killingTheLeaderUnderLoadLosesNoAcknowledgedPut() throws Exception {
        cluster = LocalCluster.of(3).start();
        failOverUnderLoad(true);
    }

    @Test
    void killingAFollowerUnderLoadLosesNoAcknowledgedPut() throws Exception {
        cluster = LocalCluster.of(3).start();
        failOverUnderLoad(false);
    }

    @Test
    void aPausedLeaderStepsDownAndNeverServesAStaleLinearizableRead() throws Exception {
        cluster = LocalCluster.of(3).start();
        Etcdctl.of(cluster.member(0)).ok("put", "x", "old");
        long leader = leaderSeenByAll();
        ServerProcess old = byId(leader);
        List<ServerProcess> others = cluster.members().stream().filter(m -> m != old).toList();
        long started = System.nanoTime();
        signal("STOP", old);
        try {
            long next = Await.value("a new leader among the running members", Duration.ofSeconds(20), () -> {
                Optional<Long> l = leaderOf(others.get(0));
                return l.filter(id -> id != leader && id != 0);
            });
            System.out.printf("ClusterFailoverIT: new leader %x %d ms after pausing %x%n", next,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), leader);
            Etcdctl.of(others.get(1)).ok("put", "x", "new");
            // the fault itself: paused for at least three election timeouts in all
            Await.until("three election timeouts of pause", Duration.ofSeconds(10),
                    () -> System.nanoTime() - started >= 3 * ELECTION_TIMEOUT.toNanos());
        } finally {
            signal("CONT", old);
        }
        // the resumed member must not answer a linearizable read with the old value
        CommandResult r = Etcdctl.of(old).withTimeout(Duration.ofSeconds(30)).completed("get", "x");
        if (r.ok()) {
            assertEquals("x\nnew\n", r.stdout(), "a linearizable read on the resumed former leader");
        }
        Await.until("the resumed member to follow the new leader", Duration.ofSeconds(20),
                () -> leaderOf(old).filter(l -> l != leader && l != 0).isPresent());
        assertEquals("x\nnew\n", Etcdctl.of(old).ok("get", "x").stdout());
        assertHashesAgree();
    }

    @Test
    void aFollowerBehindTheCompactedLogCatchesUpThroughASnapshot() throws Exception {
        // a snapshot every 100 entries, keeping only 10 behind it: a follower away for a few
        // hundred writes can only catch up through a snapshot
        cluster = LocalCluster.of(3, "ketch-e2e", i -> ServerSpec.defaults()
                .arg("--snapshot-count", "100", "--experimental-snapshot-catchup-entries", "10")).start();
        long leader = leaderSeenByAll();
        ServerProcess follower = cluster.members().stream()
                .filter(m -> !idOf(m).equals(Optional.of(leader))).findFirst().orElseThrow();
        follower.stop();
        Load load = new Load(cluster, 4);
        try {
            load.start();
            load.awaitAcked(600, Duration.ofSeconds(90));
        } finally {
            load.stop();
        }
        follower.start();
        Await.until("the follower to install the leader's snapshot", Duration.ofSeconds(60),
                () -> follower.logTail(200).contains("installed the leader's snapshot"));
        assertEveryAcknowledgedPutIsOn(follower, load.acked);
        assertHashesAgree();
    }

    /**
     * Without a quorum there is no leader: writes and linearizable reads fail with etcd's
     * "no leader" (which etcd's clients retry), serializable reads still answer, /health says
     * false; once a second member is back, a leader is elected and writes succeed again.
     */
    @Test
    void withoutAQuorumWritesFailWithNoLeaderAndServeAgainOnceItIsBack() {
        cluster = LocalCluster.of(3).start();
        ServerProcess alone = cluster.member(0);
        Etcdctl.of(alone).ok("put", "k", "before");
        cluster.member(1).stop();
        cluster.member(2).stop();
        Etcdctl ctl = Etcdctl.of(alone).withFlags("--command-timeout=3s");
        CommandResult put = Await.value("a write to fail with etcd's no-leader error", Duration.ofSeconds(20), () -> {
            CommandResult r = ctl.run("put", "k", "during");
            return r.stderr().contains("etcdserver: no leader") ? Optional.of(r) : Optional.empty();
        });
        assertTrue(!put.ok(), put.describe());
        assertTrue(ctl.run("get", "k").stderr().contains("etcdserver: no leader"));
        assertEquals("before\n", ctl.ok("get", "k", "--consistency=s", "--print-value-only").stdout());
        String health = httpGet(alone.clientUrl() + "/health");
        assertTrue(health.contains("\"health\":\"false\""), health);
        cluster.member(1).start();
        Await.until("writes to succeed with a quorum back", Duration.ofSeconds(30), () -> ctl.run("put", "k", "after").ok());
        assertEquals("after\n", Etcdctl.of(cluster.member(1)).ok("get", "k", "--print-value-only").stdout());
    }

    /**
     * A lease granted on a follower, kept alive through the other followers while the leader
     * is killed: its key outlives several TTLs (the new leader extends every lease), TimeToLive
     * answers from any member, and once nobody keeps it alive the new leader expires it.
     */
    @Test
    void aLeaseKeptAliveThroughFollowersSurvivesTheLeadersDeathAndThenExpires() throws Exception {
        cluster = LocalCluster.of(3).start();
        long leader = leaderSeenByAll();
        List<ServerProcess> followers = cluster.members().stream()
                .filter(m -> !idOf(m).equals(Optional.of(leader))).toList();
        String granted = Etcdctl.of(followers.get(0)).ok("lease", "grant", "3").stdout();
        Matcher id = Pattern.compile("lease ([0-9a-f]+) granted with TTL\\(3s\\)").matcher(granted);
        assertTrue(id.find(), granted);
        String lease = id.group(1);
        Etcdctl.of(followers.get(1)).ok("put", "owned", "v", "--lease=" + lease);
        String ttl = Etcdctl.of(followers.get(1)).ok("lease", "timetolive", lease, "--keys").stdout();
        assertTrue(ttl.contains("granted with TTL(3s)") && ttl.contains("attached keys([owned])"), ttl);

        Etcdctl viaFollowers = new Etcdctl(followers.get(0).endpoint() + "," + followers.get(1).endpoint());
        try (var keepAlive = viaFollowers.start("lease", "keep-alive", lease)) {
            keepAlive.awaitLines(2, Duration.ofSeconds(10));
            byId(leader).kill9();
            long killed = System.nanoTime();
            // for four TTLs after the leader died the key must stay, read linearizably on a survivor
            Await.until("four TTLs to pass with the key kept alive", Duration.ofSeconds(30), () -> {
                CommandResult r = Etcdctl.of(followers.get(1)).run("get", "owned", "--print-value-only");
                if (r.ok()) {
                    assertEquals("v\n", r.stdout(), "the kept-alive key disappeared");
                }
                return r.ok() && System.nanoTime() - killed > TimeUnit.SECONDS.toNanos(12);
            });
        }
        Await.until("the lease to expire once nobody keeps it alive", Duration.ofSeconds(30),
                () -> Etcdctl.of(followers.get(0)).ok("get", "owned").stdout().isEmpty());
        assertTrue(Etcdctl.of(followers.get(1)).ok("lease", "timetolive", lease).stdout().contains("already expired"));
    }

    // ------------------------------------------------------------------ failover under load

    private void failOverUnderLoad(boolean killLeader) throws Exception {
        long leader = leaderSeenByAll();
        ServerProcess victim = killLeader ? byId(leader)
                : cluster.members().stream().filter(m -> !idOf(m).equals(Optional.of(leader))).findFirst().orElseThrow();
        List<ServerProcess> survivors = cluster.members().stream().filter(m -> m != victim).toList();
        Load load = new Load(cluster, 8);
        try {
            load.start();
            load.awaitAcked(200, Duration.ofSeconds(60));
            int before = load.acked.size();
            long killedAt = System.nanoTime();
            victim.kill9();
            if (killLeader) {
                long next = Await.value("a new leader after the SIGKILL", Duration.ofSeconds(20),
                        () -> leaderOf(survivors.get(0)).filter(id -> id != leader && id != 0));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                System.out.printf("ClusterFailoverIT: new leader %x serving %d ms after killing leader %x%n", next, ms, leader);
                assertTrue(ms < 5 * ELECTION_TIMEOUT.toMillis() + 2000, "a new leader within a few election timeouts: " + ms + " ms");
            }
            load.awaitAcked(before + 200, Duration.ofSeconds(60));
        } finally {
            load.stop();
        }
        System.out.printf("ClusterFailoverIT: %d puts acknowledged, %d failed (killed %s)%n", load.acked.size(),
                load.failed.get(), killLeader ? "the leader" : "a follower");
        victim.start();
        for (ServerProcess m : cluster.members()) {
            assertEveryAcknowledgedPutIsOn(m, load.acked);
        }
        assertHashesAgree();
    }

    /** Linearizable reads on member m of every acknowledged key: value and mod revision as acknowledged. */
    private static void assertEveryAcknowledgedPutIsOn(ServerProcess m, Map<String, Long> acked) throws Exception {
        try (Client c = Client.builder().endpoints(m.clientUrl()).build()) {
            Map<String, Long> missing = new java.util.TreeMap<>();
            for (Map.Entry<String, Long> e : acked.entrySet()) {
                var r = c.getKVClient().get(bytes(e.getKey())).get(30, TimeUnit.SECONDS);
                if (r.getKvs().size() != 1 || !r.getKvs().get(0).getValue().equals(bytes(value(e.getKey())))
                        || r.getKvs().get(0).getModRevision() != e.getValue()) {
                    missing.put(e.getKey(), e.getValue());
                }
            }
            assertTrue(missing.isEmpty(), m.name() + " lacks " + missing.size() + " acknowledged puts (key=revision): "
                    + missing.entrySet().stream().limit(10).toList());
        }
    }

    /** Waits until every member is at the same revision, then checks that their HashKV agree. */
    private void assertHashesAgree() {
        Etcdctl all = new Etcdctl(cluster.endpoints());
        String out = Await.value("every member at one revision", Duration.ofSeconds(30), () -> {
            String s = all.ok("endpoint", "hashkv", "-w", "json").stdout();
            Set<String> revisions = new HashSet<>(all(REVISION, s));
            return revisions.size() == 1 && all(HASH, s).size() == 3 ? Optional.of(s) : Optional.empty();
        });
        Set<String> hashes = new HashSet<>(all(HASH, out));
        assertEquals(1, hashes.size(), "HashKV differs between members: " + out);
    }

    /** Puts unique keys from several threads over one jetcd client on all endpoints, recording acknowledgements. */
    private static final class Load {
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final AtomicInteger failed = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final Client client;

        Load(LocalCluster cluster, int writers) {
            client = Client.builder().endpoints(cluster.members().stream().map(ServerProcess::clientUrl)
                    .toArray(String[]::new)).build();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                threads.add(new Thread(() -> write(writer), "load-" + w));
            }
        }

        void start() {
            threads.forEach(Thread::start);
        }

        private void write(int writer) {
            for (int i = 0; running.get(); i++) {
                String key = "load/" + writer + "/" + i;
                try {
                    PutResponse r = client.getKVClient().put(bytes(key), bytes(value(key))).get(20, TimeUnit.SECONDS);
                    acked.put(key, r.getHeader().getRevision());
                } catch (Exception e) {
                    failed.incrementAndGet(); // unknown outcome: not acknowledged, so not checked
                }
            }
        }

        void awaitAcked(int n, Duration timeout) {
            Await.until(n + " acknowledged puts (now " + acked.size() + ")", timeout, () -> acked.size() >= n);
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
            client.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String value(String key) {
        return "value-of-" + key;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** The leader as every member reports it, once they all agree on one. */
    private long leaderSeenByAll() {
        return Await.value("every member to report the same leader", Duration.ofSeconds(30), () -> {
            Set<Long> seen = new HashSet<>();
            for (ServerProcess m : cluster.members()) {
                Optional<Long> l = leaderOf(m);
                if (l.isEmpty() || l.get() == 0) {
                    return Optional.empty();
                }
                seen.add(l.get());
            }
            return seen.size() == 1 ? Optional.of(seen.iterator().next()) : Optional.empty();
        });
    }

    private Set<Long> memberIds() {
        Set<Long> ids = new HashSet<>();
        cluster.members().forEach(m -> ids.add(idOf(m).orElseThrow()));
        return ids;
    }

    private ServerProcess byId(long id) {
        return cluster.members().stream().filter(m -> idOf(m).equals(Optional.of(id))).findFirst().orElseThrow();
    }

    private static Optional<Long> leaderOf(ServerProcess m) {
        return status(m).map(s -> Long.parseUnsignedLong(first(LEADER, s)));
    }

    private static Optional<Long> idOf(ServerProcess m) {
        return status(m).map(s -> Long.parseUnsignedLong(first(MEMBER_ID, s)));
    }

    private static Optional<String> status(ServerProcess m) {
        CommandResult r = Etcdctl.of(m).withTimeout(Duration.ofSeconds(10))
                .run("endpoint", "status", "-w", "json", "--command-timeout=3s");
        return r.ok() && LEADER.matcher(r.stdout()).find() ? Optional.of(r.stdout()) : Optional.empty();
    }

    private static String first(Pattern p, String s) {
        Matcher m = p.matcher(s);
        if (!m.find()) {
            throw new AssertionError("no " + p + " in " + s);
        }
        return m.group(1);
    }

    private static List<String> all(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static int countMatches(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static void signal(String sig, ServerProcess m) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(m.pid())).inheritIO().start();
        assertEquals(0, p.waitFor(), "kill -" + sig + " " + m.pid());
    }
}
