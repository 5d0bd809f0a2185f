package io.ketch.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.ketch.e2e.support.ClusterChecks.*;

import io.ketch.e2e.support.Await;
import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.LocalCluster;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
        long leader = leaderSeenByAll(cluster.members());
        assertTrue(memberIds(cluster.members()).contains(leader));
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
        long leader = leaderSeenByAll(cluster.members());
        ServerProcess old = byId(cluster.members(), leader);
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
        assertHashesAgree(cluster.members());
    }

    @Test
    void aFollowerBehindTheCompactedLogCatchesUpThroughASnapshot() throws Exception {
        // a snapshot every 100 entries, keeping only 10 behind it: a follower away for a few
        // hundred writes can only catch up through a snapshot
        cluster = LocalCluster.of(3, "ketch-e2e", i -> ServerSpec.defaults()
                .arg("--snapshot-count", "100", "--experimental-snapshot-catchup-entries", "10")).start();
        long leader = leaderSeenByAll(cluster.members());
        ServerProcess follower = cluster.members().stream()
                .filter(m -> !idOf(m).equals(Optional.of(leader))).findFirst().orElseThrow();
        follower.stop();
        Load load = new Load(cluster.members(), 4);
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
        assertHashesAgree(cluster.members());
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
        long leader = leaderSeenByAll(cluster.members());
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
            byId(cluster.members(), leader).kill9();
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
        long leader = leaderSeenByAll(cluster.members());
        ServerProcess victim = killLeader ? byId(cluster.members(), leader)
                : cluster.members().stream().filter(m -> !idOf(m).equals(Optional.of(leader))).findFirst().orElseThrow();
        List<ServerProcess> survivors = cluster.members().stream().filter(m -> m != victim).toList();
        Load load = new Load(cluster.members(), 8);
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
        assertHashesAgree(cluster.members());
    }
}
