package io.ketch.e2e;

import static io.ketch.e2e.support.ClusterChecks.assertEveryAcknowledgedPutIsOn;
import static io.ketch.e2e.support.ClusterChecks.assertHashesAgree;
import static io.ketch.e2e.support.ClusterChecks.byId;
import static io.ketch.e2e.support.ClusterChecks.first;
import static io.ketch.e2e.support.ClusterChecks.idOf;
import static io.ketch.e2e.support.ClusterChecks.leaderSeenByAll;
import static io.ketch.e2e.support.ClusterChecks.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.e2e.support.Await;
import io.ketch.e2e.support.ClusterChecks.Load;
import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.Files2;
import io.ketch.e2e.support.LocalCluster;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Membership changes end to end: members as separate processes on loopback, changed with the
 * real etcdctl while jetcd writers keep putting; afterwards every acknowledged put must be on
 * every member with the revision it was acknowledged with, and HashKV must agree. etcdctl's
 * output is checked word for word where it holds no IDs (the same test passes against etcd
 * 3.4.23 with {@code -Dketch.e2e.target=etcd}, except where a comment says otherwise).
 */
class MembershipIT {
    private static final Pattern INITIAL_CLUSTER = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]+)\"");
    /** A member or cluster ID as etcdctl prints it after these words (%16x: space-padded). */
    private static final Pattern HEX_ID = Pattern.compile("(?<=Member|cluster) +[0-9a-f]{1,16}\\b");
    private static final Pattern HASH = Pattern.compile("\"hash\":(\\d+)");
    private static final Duration JOIN = Duration.ofSeconds(60);

    private LocalCluster cluster;
    private Load load;

    @AfterEach
    void stop() throws InterruptedException {
        if (load != null) {
            load.stop();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void growWithALearnerThenPromoteItThenShrinkBack() throws Exception {
        startUnderLoad();
        Etcdctl ctl = new Etcdctl(cluster.endpoints());
        ServerProcess m4 = join(ctl, "m4", true);
        long id4 = idOf(m4).orElseThrow();

        // a learner serves Status and serializable reads, and refuses writes and linearizable reads
        Await.until("m4 to report itself a learner", JOIN,
                () -> status(m4).map(st -> st.contains("\"isLearner\":true")).orElse(false));
        CommandResult put = Etcdctl.of(m4).withFlags("--command-timeout=3s").run("put", "k", "v");
        assertFalse(put.ok());
        assertTrue(put.stderr().contains("etcdserver: rpc not supported for learner"), put.stderr());
        Await.until("the learner to catch up", JOIN,
                () -> Etcdctl.of(m4).ok("get", "load/0/0", "--consistency=s").stdout().contains("value-of-load/0/0"));
        assertTrue(ctl.ok("member", "list").stdout().contains(", started, m4, " + m4.peerUrl() + ", "
                + m4.clientUrl() + ", true"));

        // promoted once in sync (etcd refuses until the learner's log is within 90% of the leader's)
        Await.until("the learner to be promoted", JOIN, () -> {
            CommandResult r = ctl.run("member", "promote", hex(id4));
            assertTrue(r.ok() || r.stderr().contains("can only promote a learner member which is in sync with leader"),
                    r.describe());
            return r.ok();
        });
        assertTrue(ctl.ok("member", "list").stdout().contains(", started, m4, " + m4.peerUrl() + ", "
                + m4.clientUrl() + ", false"));
        Etcdctl.of(m4).ok("put", "written-on-m4", "ok");
        CommandResult again = ctl.run("member", "promote", hex(id4));
        assertEquals("Error: etcdserver: can only promote a learner member", again.stderr().strip().lines()
                .reduce((a, b) -> b).orElse(""));
        load.awaitMore(100, JOIN);

        // shrink back to three; the removed member exits with etcd's message
        assertEquals("Member ID removed from cluster ID", noIds(reconfigure(ctl, "member", "remove", hex(id4))));
        awaitRemovedAndGone(m4);
        finishAndCheck();

        // after all that, every member restarts with the same membership, IDs and peer URLs
        Etcdctl three = new Etcdctl(cluster.endpoints());
        String members = three.ok("member", "list").stdout();
        for (ServerProcess m : cluster.members()) {
            m.stop();
        }
        for (ServerProcess m : cluster.members()) {
            m.launch();
        }
        for (ServerProcess m : cluster.members()) {
            m.awaitHealthy(JOIN);
        }
        assertEquals(members, three.ok("member", "list").stdout());
        three.ok("put", "after-restart", "ok");
        assertHashesAgree(cluster.members());
    }

    @Test
    void replaceAMemberWhoseDataDirWasDestroyed() throws Exception {
        startUnderLoad();
        ServerProcess lost = cluster.member(2);
        long lostId = idOf(lost).orElseThrow();
        lost.kill9();
        Files2.deleteRecursively(lost.dataDir());
        cluster.retire(lost);
        // the two left agree on a live leader (until an election timeout passes they may still
        // name the lost member, and a change proposed then would wait for etcd's request timeout)
        Await.until("a live leader", JOIN, () -> leaderSeenByAll(cluster.members()) != lostId);
        Etcdctl ctl = new Etcdctl(cluster.endpoints());
        reconfigure(ctl, "member", "remove", hex(lostId));
        load.awaitMore(100, JOIN);
        ServerProcess fresh = join(ctl, "m3-new", false);
        if (Servers.targetIsKetch()) { // it caught up through a snapshot (etcd's log words it differently)
            Await.until("the new member to install the leader's snapshot", JOIN,
                    () -> fresh.logTail(400).contains("installed the leader's snapshot"));
        }
        finishAndCheck();
    }

    @Test
    void removingTheLeaderHandsLeadershipOverAndTheLeaderExits() throws Exception {
        startUnderLoad();
        long leader = leaderSeenByAll(cluster.members());
        ServerProcess old = byId(cluster.members(), leader);
        // asked of the leader itself: it hands leadership over first, then its removal commits
        assertEquals("Member ID removed from cluster ID", noIds(reconfigure(Etcdctl.of(old), "member", "remove", hex(leader))));
        awaitRemovedAndGone(old);
        if (Servers.targetIsKetch()) { // beyond etcd 3.4, which lets the removed leader's followers time out
            assertTrue(old.logTail(100).contains("moving leadership from " + hex(leader)), old.logTail(30));
        }
        Await.until("the members left to agree on a new leader", JOIN, () -> {
            long now = leaderSeenByAll(cluster.members());
            return now != leader;
        });
        assertEquals(2, new Etcdctl(cluster.endpoints()).ok("member", "list").stdout().lines().count());
        finishAndCheck();
    }

    @Test
    void aMemberUpdatedToNewPeerUrlsRestartsOnThem() throws Exception {
        startUnderLoad();
        ServerProcess before = cluster.member(1);
        long id = idOf(before).orElseThrow();
        ServerSpec spec = ServerSpec.defaults().name(before.name()).dataDir(before.dataDir());
        ServerProcess after = Servers.candidate(spec);
        spec.initialCluster(before.name() + "=" + after.peerUrl());
        Etcdctl ctl = new Etcdctl(cluster.endpoints());
        assertEquals("Member ID updated in cluster ID",
                noIds(ctl.ok("member", "update", hex(id), "--peer-urls=" + after.peerUrl()).stdout()));
        before.stop();
        cluster.retire(before);
        cluster.add(after);
        after.launch();
        after.awaitHealthy(JOIN);
        Await.until("the member list to show the new peer and client URLs", JOIN, () -> ctl.ok("member", "list")
                .stdout().contains(", started, " + after.name() + ", " + after.peerUrl() + ", " + after.clientUrl() + ", false"));
        assertEquals(id, idOf(after).orElseThrow());
        // the restarted member keeps its place: it takes part in the load's commits and reads
        Etcdctl.of(after).ok("put", "after-update", "ok");
        finishAndCheck();
    }

    @Test
    void leadershipMovesToEachMemberInTurnAndACleanStopHandsItOff() throws Exception {
        cluster = LocalCluster.of(3).start();
        Etcdctl all = new Etcdctl(cluster.endpoints());
        for (ServerProcess target : cluster.members()) {
            long to = idOf(target).orElseThrow();
            long from = leaderSeenByAll(cluster.members());
            String out = all.ok("move-leader", hex(to)).stdout();
            assertEquals("Leadership transferred from " + hex(from) + " to " + hex(to), out.strip());
            assertEquals(to, leaderSeenByAll(cluster.members()));
        }
        CommandResult bad = all.run("move-leader", "1234");
        assertEquals("Error: etcdserver: bad leader transferee", bad.stderr().strip().lines().reduce((a, b) -> b).orElse(""));

        // SIGTERM on the leader: it hands leadership to another member before it exits
        long leader = leaderSeenByAll(cluster.members());
        ServerProcess old = byId(cluster.members(), leader);
        old.stop();
        cluster.retire(old);
        if (Servers.targetIsKetch()) {
            assertTrue(old.logTail(50).contains("handed leadership to "), old.logTail(50));
        }
        long next = leaderSeenByAll(cluster.members());
        assertNotEquals(leader, next);
        Etcdctl.of(cluster.member(0)).ok("put", "after-hand-off", "ok");
    }

    @Test
    void withAutoPromotionALearnerBecomesAVoterWithoutOperatorAction() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Servers.targetIsKetch(), "a Ketch feature (etcd issue 15107)");
        startUnderLoad("--experimental-auto-promote-learners", "--experimental-auto-promote-learners-after=2s");
        Etcdctl ctl = new Etcdctl(cluster.endpoints());
        ServerProcess m4 = join(ctl, "m4", true);
        Await.until("the learner to be promoted by the leader", JOIN, () -> ctl.ok("member", "list").stdout()
                .contains(", started, m4, " + m4.peerUrl() + ", " + m4.clientUrl() + ", false"));
        assertTrue(cluster.members().stream().anyMatch(m -> m.logTail(2000).contains("promoting learner ")),
                "the leader logs the promotion");
        Etcdctl.of(m4).ok("put", "written-on-m4", "ok");
        finishAndCheck();
    }

    @Test
    void aSnapshotRestoredIntoThreeDataDirsStartsANewThreeMemberCluster(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        startUnderLoad();
        load.awaitMore(200, JOIN);
        load.stop();
        load = null;
        leaderSeenByAll(cluster.members());
        String hashBefore = first(HASH, Etcdctl.of(cluster.member(0)).ok("endpoint", "hashkv", "-w", "json").stdout());
        java.nio.file.Path saved = tmp.resolve("backup.db");
        Etcdctl.of(cluster.member(0)).ok("snapshot", "save", saved.toString());

        // a new cluster of three from the one file, as etcdctl snapshot restore builds one
        List<ServerSpec> specs = new java.util.ArrayList<>();
        List<ServerProcess> restored = new java.util.ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ServerSpec spec = ServerSpec.defaults().name("r" + i).dataDir(tmp.resolve("r" + i))
                    .arg("--initial-cluster-token", "restored");
            specs.add(spec);
            restored.add(Servers.candidate(spec));
        }
        String initial = String.join(",", restored.stream().map(m -> m.name() + "=" + m.peerUrl()).toList());
        for (int i = 0; i < 3; i++) {
            specs.get(i).initialCluster(initial);
            List<String> cmd = new java.util.ArrayList<>(Servers.targetIsKetch()
                    ? io.ketch.e2e.support.KetchProcess.executable() : List.of("etcdctl"));
            cmd.addAll(List.of("snapshot", "restore", saved.toString(), "--data-dir", tmp.resolve("r" + (i + 1)).toString(),
                    "--name", restored.get(i).name(), "--initial-cluster", initial,
                    "--initial-advertise-peer-urls", restored.get(i).peerUrl(), "--initial-cluster-token", "restored"));
            CommandResult r = io.ketch.e2e.support.Commands.run(cmd, java.util.Map.of("ETCDCTL_API", "3"), null,
                    Duration.ofSeconds(120));
            assertEquals(0, r.exitCode(), r.describe());
        }
        cluster.close();
        cluster = LocalCluster.of(0);
        restored.forEach(cluster::add);
        restored.forEach(ServerProcess::launch);
        for (ServerProcess m : restored) {
            m.awaitHealthy(JOIN);
        }
        Etcdctl ctl = new Etcdctl(cluster.endpoints());
        String list = ctl.ok("member", "list").stdout();
        for (ServerProcess m : restored) {
            Await.until(m.name() + " listed as started", JOIN, () -> ctl.ok("member", "list").stdout()
                    .contains(", started, " + m.name() + ", " + m.peerUrl() + ", " + m.clientUrl() + ", false"));
        }
        assertEquals(3, list.lines().count(), list);
        // the same keys and history on every member: the hash of the source cluster at the file's revision
        for (ServerProcess m : restored) {
            assertEquals(hashBefore, first(HASH, Etcdctl.of(m).ok("endpoint", "hashkv", "-w", "json").stdout()), m.name());
        }
        ctl.ok("put", "after-restore", "ok");
        assertHashesAgree(cluster.members());
    }

    @Test
    void joiningWithWrongFlagsFailsWithEtcdsMessageAndChangesNothing() {
        cluster = LocalCluster.of(3).start();
        Etcdctl ctl = new Etcdctl(cluster.endpoints());
        String founders = String.join(",", cluster.members().stream().map(m -> m.name() + "=" + m.peerUrl()).toList());
        String before = Await.value("every member listed as started", JOIN, () -> {
            String l = ctl.ok("member", "list").stdout();
            return l.lines().filter(x -> x.contains(", started, ")).count() == 3 ? java.util.Optional.of(l)
                    : java.util.Optional.empty();
        });

        // never added with member add
        ServerSpec notAdded = ServerSpec.defaults().name("m4");
        ServerProcess m4 = Servers.candidate(notAdded);
        notAdded.initialCluster(founders + ",m4=" + m4.peerUrl()).arg("--initial-cluster-state", "existing");
        assertFailsToStart(m4, "member count is unequal");
        assertEquals(before, ctl.ok("member", "list").stdout());

        // added, then started on a peer URL other than the one it was added with
        ServerSpec wrongUrl = ServerSpec.defaults().name("m5");
        ServerProcess m5 = Servers.candidate(wrongUrl);
        reconfigure(ctl, "member", "add", "m5", "--peer-urls=http://127.0.0.1:1");
        String listed = ctl.ok("member", "list").stdout();
        wrongUrl.initialCluster(founders + ",m5=" + m5.peerUrl()).arg("--initial-cluster-state", "existing");
        assertFailsToStart(m5, "no match found for existing member");
        assertEquals(listed, ctl.ok("member", "list").stdout());
    }

    // ------------------------------------------------------------------ helpers

    /** The process exits on its own, its log saying why. */
    private void assertFailsToStart(ServerProcess m, String why) {
        cluster.add(m);
        cluster.retire(m);
        m.launch();
        Await.until(m.name() + " to give up", JOIN, () -> !m.isAlive());
        assertTrue(m.logTail(200).contains(why), m.logTail(40));
    }

    private void startUnderLoad(String... flags) {
        cluster = LocalCluster.of(3, "ketch-e2e", i -> ServerSpec.defaults().arg(flags)).start();
        load = new Load(cluster.members(), 4);
        load.start();
        load.awaitAcked(100, JOIN);
    }

    /**
     * Adds a member with etcdctl, checks etcdctl's output (IDs aside), and starts it with the
     * flags that output prints; returns once it is healthy.
     */
    private ServerProcess join(Etcdctl ctl, String name, boolean learner) {
        ServerSpec spec = ServerSpec.defaults().name(name);
        ServerProcess m = Servers.candidate(spec);
        String out = reconfigure(ctl, "member", "add", name, "--peer-urls=" + m.peerUrl(),
                learner ? "--learner" : "--learner=false");
        String initial = first(INITIAL_CLUSTER, out);
        assertEquals("Member ID added to cluster ID\n\n"
                + "ETCD_NAME=\"" + name + "\"\n"
                + "ETCD_INITIAL_CLUSTER=\"" + initial + "\"\n"
                + "ETCD_INITIAL_ADVERTISE_PEER_URLS=\"" + m.peerUrl() + "\"\n"
                + "ETCD_INITIAL_CLUSTER_STATE=\"existing\"", noIds(out).strip());
        assertTrue(initial.contains(name + "=" + m.peerUrl()), initial);
        spec.initialCluster(initial).arg("--initial-cluster-state", "existing");
        cluster.add(m);
        m.launch();
        m.awaitHealthy(JOIN);
        return m;
    }

    /**
     * Runs a membership change, retrying while the server answers "unhealthy cluster": as etcd,
     * a change is refused until this member has been connected to every voter for 5 seconds.
     */
    private static String reconfigure(Etcdctl ctl, String... args) {
        return Await.value(String.join(" ", args), JOIN, () -> {
            CommandResult r = ctl.run(args);
            if (r.ok()) {
                return java.util.Optional.of(r.stdout());
            }
            assertTrue(r.stderr().contains("etcdserver: unhealthy cluster"), r.describe());
            return java.util.Optional.empty();
        });
    }

    /** The removed member stops serving and its process exits with etcd's message. */
    private void awaitRemovedAndGone(ServerProcess m) {
        Await.until(m.name() + " to exit after its removal", JOIN, () -> !m.isAlive());
        assertTrue(m.logTail(100).contains("the member has been permanently removed from the cluster"), m.logTail(30));
        cluster.retire(m);
    }

    /** More puts through the change, then every acknowledged put on every member, and equal hashes. */
    private void finishAndCheck() throws Exception {
        load.awaitMore(100, JOIN);
        load.stop();
        List<ServerProcess> members = cluster.members();
        for (ServerProcess m : members) {
            assertEveryAcknowledgedPutIsOn(m, load.acked);
        }
        load = null;
        assertHashesAgree(members);
    }

    private static String hex(long id) {
        return Long.toHexString(id);
    }

    private static String noIds(String s) {
        return HEX_ID.matcher(s.strip()).replaceAll(" ID");
    }
}
