package io.ketch.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Commands;
import io.ketch.e2e.support.EtcdProcess;
import io.ketch.e2e.support.Files2;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.Ports;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The server under test takes etcd's command line: flags, ETCD_* environment variables, etcd's
 * default member identity, and the request limits the flags set. Where etcd's own behaviour is
 * the expectation (exit codes, messages), the test runs the real etcd too and compares.
 */
class FlagsIT {
    private static final Duration ONE_SHOT_TIMEOUT = Duration.ofSeconds(60);

    /** etcd's member ID for its default bootstrap flags (name "default", peer http://localhost:2380, token etcd-cluster). */
    private static final String DEFAULT_MEMBER_ID_HEX = "8e9e05c52164694d";

    private static CommandResult runCandidate(String... args) {
        List<String> cmd = new ArrayList<>(Servers.candidateExecutable());
        cmd.addAll(Arrays.asList(args));
        return Commands.run(cmd, Map.of(), null, ONE_SHOT_TIMEOUT);
    }

    private static CommandResult runEtcd(String... args) {
        List<String> cmd = new ArrayList<>(EtcdProcess.executable());
        cmd.addAll(Arrays.asList(args));
        return Commands.run(cmd, Map.of(), null, ONE_SHOT_TIMEOUT);
    }

    @Test
    void helpExitsZeroAndListsTheFlags() {
        CommandResult r = runCandidate("--help");
        assertEquals(0, r.exitCode(), "--help must exit 0\n" + r.describe());
        String out = r.stdout() + r.stderr();
        for (String flag : List.of("--name", "--data-dir", "--listen-client-urls", "--advertise-client-urls",
                "--listen-peer-urls", "--initial-advertise-peer-urls", "--initial-cluster", "--initial-cluster-state",
                "--initial-cluster-token", "--max-request-bytes", "--max-txn-ops", "--snapshot-count", "--version")) {
            assertTrue(out.contains(flag), "--help does not list " + flag + "\n" + r.describe());
        }
    }

    /**
     * A new member told to join (--initial-cluster-state existing) asks the other members in
     * --initial-cluster for the cluster's members; with none to ask it fails with etcd's message.
     */
    @Test
    void aNewMemberWithNoPeerToAskFailsToJoinLikeEtcd() throws Exception {
        Path dir = Files.createTempDirectory("ketch-flags-existing-");
        try {
            String expected = "cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs";
            for (boolean etcd : new boolean[] {true, false}) {
                int client = Ports.freePort();
                int peer = Ports.freePort();
                String[] args = {"--data-dir", dir.resolve(etcd ? "etcd" : "candidate").toString(),
                        "--listen-client-urls", "http://127.0.0.1:" + client, "--advertise-client-urls", "http://127.0.0.1:" + client,
                        "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                        "--initial-cluster", "default=http://127.0.0.1:" + peer, "--initial-cluster-state", "existing"};
                CommandResult r = etcd ? runEtcd(args) : runCandidate(args);
                assertNotEquals(0, r.exitCode(), r.describe());
                assertTrue((r.stdout() + r.stderr()).contains(expected), r.describe());
            }
        } finally {
            Files2.deleteRecursively(dir);
        }
    }

    @Test
    void versionFlagPrintsEtcdStyleVersion() {
        CommandResult r = runCandidate("--version");
        assertEquals(0, r.exitCode(), "--version must exit 0\n" + r.describe());
        assertTrue(Pattern.compile("(?m)^etcd Version: \\d+\\.\\d+\\.\\d+").matcher(r.stdout()).find(),
                "--version must print etcd's 'etcd Version: X.Y.Z' line on stdout\n" + r.describe());
    }

    @Test
    void unknownFlagFailsLikeEtcd() {
        CommandResult etcd = runEtcd("--no-such-flag=1");
        CommandResult cand = runCandidate("--no-such-flag=1");
        assertFalse(cand.timedOut(), "an unknown flag must make the server exit, not start\n" + cand.describe());
        assertTrue((cand.stdout() + cand.stderr()).contains("flag provided but not defined: -no-such-flag"),
                "expected etcd's message 'flag provided but not defined: -no-such-flag'\n" + cand.describe());
        assertTrue((etcd.stdout() + etcd.stderr()).contains("flag provided but not defined: -no-such-flag"), etcd.describe());
        // etcd 3.5, whose API Ketch implements, exits 1 on a flag error (3.4.23, installed
        // here as the reference, still exits 2); the issue asks for 3.5's behaviour.
        assertNotEquals(0, etcd.exitCode(), etcd.describe());
        assertEquals(1, cand.exitCode(), "an unknown flag must exit 1 as etcd 3.5 does\n" + cand.describe());
    }

    @Test
    void etcdNameEnvironmentVariableSetsTheMemberName() {
        // ETCD_NAME instead of --name; the bootstrap flags name "x" explicitly (--initial-cluster x=...)
        ServerSpec spec = ServerSpec.defaults().name(null).env("ETCD_NAME", "x");
        try (ServerProcess server = Servers.candidate(spec)) {
            server.start();
            assertMemberName(server, "x");
        }
    }

    @Test
    void etcdNameAloneDerivesTheInitialClusterLikeEtcd() {
        // etcd: with --initial-cluster left at its default, a non-default name gives "x=http://localhost:2380"
        ServerSpec spec = ServerSpec.defaults().name(null).bootstrapFlags(false).env("ETCD_NAME", "x");
        try (ServerProcess server = Servers.candidate(spec)) {
            server.start();
            assertMemberName(server, "x");
        }
    }

    private static void assertMemberName(ServerProcess server, String expected) {
        CommandResult r = Etcdctl.of(server).ok("member", "list");
        String[] fields = r.stdout().trim().split(",\\s*");
        assertEquals(expected, fields.length > 2 ? fields[2] : null, "member name from ETCD_NAME\n" + r.describe());
    }

    @Test
    void defaultBootstrapGivesEtcdsDefaultMemberIdStableAcrossRestart() {
        ServerSpec spec = ServerSpec.defaults().name(null).bootstrapFlags(false);
        try (ServerProcess server = Servers.candidate(spec)) {
            server.start();
            Etcdctl ctl = Etcdctl.of(server);
            assertDefaultMember(ctl, "first start");
            ctl.ok("put", "k", "v");
            server.stop();
            server.start();
            assertDefaultMember(ctl, "after a restart");
            CommandResult get = ctl.ok("get", "k", "--print-value-only");
            assertEquals("v", get.stdout().trim(), "data kept across the restart\n" + get.describe());
        }
    }

    private static void assertDefaultMember(Etcdctl ctl, String when) {
        CommandResult list = ctl.ok("member", "list");
        String[] fields = list.stdout().trim().split(",\\s*");
        assertEquals(DEFAULT_MEMBER_ID_HEX, fields[0], when + ": member ID in member list\n" + list.describe());
        assertEquals("default", fields.length > 2 ? fields[2] : null, when + ": member name\n" + list.describe());
        assertEquals("http://localhost:2380", fields.length > 3 ? fields[3] : null, when + ": peer URL\n" + list.describe());
        CommandResult status = ctl.ok("endpoint", "status", "-w", "json");
        Matcher m = Pattern.compile("\"member_id\":(\\d+)").matcher(status.stdout());
        assertTrue(m.find(), status.describe());
        assertEquals(DEFAULT_MEMBER_ID_HEX, Long.toHexString(Long.parseUnsignedLong(m.group(1))),
                when + ": member_id in the response header\n" + status.describe());
    }

    @Test
    void maxTxnOpsLimitsTheTransaction() {
        try (ServerProcess server = Servers.candidate(ServerSpec.defaults().arg("--max-txn-ops=2"))) {
            server.start();
            Etcdctl ctl = Etcdctl.of(server);
            CommandResult three = ctl.run(List.of("txn"), "\nput a 1\nput b 2\nput c 3\n\n\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(1, three.exitCode(), three.describe());
            assertTrue(three.stderr().contains("rpc error: code = InvalidArgument desc = etcdserver: too many operations in txn request"),
                    three.describe());
            assertTrue(three.stderr().contains("Error: etcdserver: too many operations in txn request"), three.describe());
            CommandResult two = ctl.run(List.of("txn"), "\nput a 1\nput b 2\n\n\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(0, two.exitCode(), "a 2-op txn is within --max-txn-ops=2\n" + two.describe());
            assertEquals("SUCCESS\n\nOK\n\nOK\n", two.stdout(), two.describe());
        }
    }

    @Test
    void maxRequestBytesLimitsThePut() {
        try (ServerProcess server = Servers.candidate(ServerSpec.defaults().arg("--max-request-bytes=1000"))) {
            server.start();
            Etcdctl ctl = Etcdctl.of(server);
            ctl.ok("put", "small", "v");
            long before = headerRevision(ctl);
            byte[] value = new byte[2000];
            Arrays.fill(value, (byte) 'y');
            CommandResult big = ctl.run(List.of("put", "big"), value);
            assertEquals(1, big.exitCode(), big.describe());
            assertTrue(big.stderr().contains("rpc error: code = InvalidArgument desc = etcdserver: request is too large"),
                    big.describe());
            assertTrue(big.stderr().contains("Error: etcdserver: request is too large"), big.describe());
            assertEquals(before, headerRevision(ctl), "a refused put must not change the revision");
            CommandResult get = ctl.ok("get", "big", "-w", "json");
            assertFalse(get.stdout().contains("\"kvs\""), "the refused key must not exist\n" + get.describe());
            ctl.ok("put", "small2", "v");
            assertEquals(before + 1, headerRevision(ctl), "a put under the limit still works");
        }
    }

    @Test
    void warnsAtStartWhenTheHeapCannotHoldABackendAtTheQuota() {
        assumeTrue(Servers.targetIsKetch(), "Ketch holds its backend in memory; etcd has no such warning");
        String warning = "the backend is held in memory";
        try (ServerProcess small = Servers.candidate(ServerSpec.defaults().jvmArg("-Xmx256m"))) {
            small.start();
            assertTrue(small.logTail(500).contains(warning), "the default 2 GiB quota on a 256 MiB heap\n" + small.logTail(40));
        }
        try (ServerProcess fits = Servers.candidate(
                ServerSpec.defaults().jvmArg("-Xmx256m").arg("--quota-backend-bytes=50000000"))) {
            fits.start();
            assertFalse(fits.logTail(500).contains(warning), "a 50 MB quota fits a 256 MiB heap\n" + fits.logTail(40));
        }
    }

    private static long headerRevision(Etcdctl ctl) {
        CommandResult r = ctl.ok("get", "nothing", "-w", "json");
        Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(r.stdout());
        assertTrue(m.find(), r.describe());
        return Long.parseLong(m.group(1));
    }
}
