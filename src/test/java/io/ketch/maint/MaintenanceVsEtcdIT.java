package io.ketch.maint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Commands;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.KetchProcess;
import io.ketch.e2e.support.Ports;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import io.ketch.pb.etcdserver.KVGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Maintenance end to end with the real etcdctl, Ketch against etcd 3.4.23: the same history
 * gives the same HashKV (also across a clean restart and a SIGKILL of Ketch), the NOSPACE
 * alarm behaves the same under a small --quota-backend-bytes, and snapshot save/restore
 * brings back the same keys, revision and hash.
 *
 * <p>Only what legitimately differs is normalized: endpoints and paths, raft_term (etcd
 * elects itself at term 2, Ketch's single member runs at term 1), db sizes, versions, and
 * the header that etcd 3.4 leaves out of Alarm answers (3.5 sends it).
 */
class MaintenanceVsEtcdIT {
    @TempDir
    Path tmp;

    /**
     * How both servers start here: no --name and no bootstrap flags, so that the member and
     * cluster IDs come from etcd's default peer URL and are equal for Ketch and etcd; 60 s to
     * become healthy, a raised NOSPACE not counted against it (such a member still serves).
     */
    private static ServerSpec spec(String... args) {
        return ServerSpec.defaults().name(null).bootstrapFlags(false).healthyWithin(Duration.ofSeconds(60))
                .healthDespite("NOSPACE").arg(args);
    }

    private static ServerProcess ketch(ServerSpec spec) {
        return new KetchProcess(spec.jvmArg("-Xmx512m"));
    }

    /** etcdctl with --command-timeout 30s; each command gets 90 s to exit, and one that hangs fails the test. */
    private static Etcdctl ctl(ServerProcess server) {
        return Etcdctl.of(server).withFlags("--command-timeout", "30s").withTimeout(Duration.ofSeconds(90));
    }

    private static CommandResult etcdctl(ServerProcess server, String... args) {
        return ctl(server).completed(args);
    }

    /** etcdctl with {@code stdin} as its input (etcdctl put reads the value from stdin when it is not given). */
    private static CommandResult etcdctlWithInput(ServerProcess server, byte[] stdin, String... args) {
        return ctl(server).completed(List.of(args), stdin);
    }

    /** The error line etcdctl prints ("Error: ..."), without its retry-interceptor log lines. */
    private static String errorLine(CommandResult r) {
        return r.stderr().lines().filter(l -> l.startsWith("Error:") || l.startsWith("Failed")).findFirst().orElse("");
    }

    private static String normalize(String s, ServerProcess server) {
        return s.replace(server.endpoint(), "ENDPOINT")
                .replaceAll("\"raft_term\":\\d+", "\"raft_term\":T")
                .replaceAll("\"raftTerm\":\\d+", "\"raftTerm\":T")
                .replaceAll("\"dbSize(InUse)?\":\\d+", "\"dbSize$1\":N")
                .replaceAll("\"version\":\"[^\"]*\"", "\"version\":V")
                .replaceAll("\"raftIndex\":\\d+", "\"raftIndex\":I")
                .replaceAll("\"raftAppliedIndex\":\\d+", "\"raftAppliedIndex\":I")
                .replaceAll("\"header\":\\{[^}]*\\},?", "");
    }

    // ------------------------------------------------------------------ HashKV

    @Test
    void hashKvIsEtcdsForTheSameHistoryAndSurvivesRestarts() throws Exception {
        try (ServerProcess etcd = Servers.etcd(spec()).start();
             ServerProcess ketch = ketch(spec("--snapshot-count", "37")).start()) {
            History history = new History(20240611);
            long rev = 1;
            List<Long> checkpoints = new ArrayList<>();
            for (int step = 1; step <= 360; step++) {
                History.Op op = history.next(rev);
                long re = apply(etcd, op);
                long rk = apply(ketch, op);
                assertEquals(re, rk, "revision after step " + step + " (" + op + ")");
                rev = rk;
                if (step % 60 == 0) {
                    checkpoints.add(rev);
                    assertSameHashes(etcd, ketch, checkpoints, history.compactedUpTo());
                }
            }
            String before = hashkv(ketch, 0);
            System.out.println("hashkv after the history (both): " + before + " checkpoints " + checkpoints
                    + " compacted up to " + history.compactedUpTo());
            ketch.stop();
            ketch.start();
            assertEquals(before, hashkv(ketch, 0), "equal after a clean restart");
            assertSameHashes(etcd, ketch, checkpoints, history.compactedUpTo());
            ketch.kill9();
            ketch.start(); // rebuilds the store from the snapshot files and the WAL
            assertEquals(before, hashkv(ketch, 0), "equal after SIGKILL and a rebuild from snapshot + WAL");
            assertSameHashes(etcd, ketch, checkpoints, history.compactedUpTo());
        }
    }

    private static long apply(ServerProcess server, History.Op op) throws InterruptedException {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.clientPort()).usePlaintext().build();
        try {
            KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
            if (op.put() != null) {
                return kv.put(op.put()).getHeader().getRevision();
            } else if (op.delete() != null) {
                return kv.deleteRange(op.delete()).getHeader().getRevision();
            } else if (op.txn() != null) {
                return kv.txn(op.txn()).getHeader().getRevision();
            }
            return kv.compact(op.compaction()).getHeader().getRevision();
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static String hashkv(ServerProcess server, long rev) {
        CommandResult r = etcdctl(server, "endpoint", "hashkv", "--rev", Long.toString(rev), "-w", "json");
        assertEquals(0, r.exitCode(), () -> server.kind() + " hashkv: " + r.stderr());
        return normalize(r.stdout().trim(), server);
    }

    /** HashKV at the current revision and at every checkpoint not compacted away, plus the table form. */
    private static void assertSameHashes(ServerProcess etcd, ServerProcess ketch, List<Long> checkpoints, long compacted) {
        assertEquals(hashkv(etcd, 0), hashkv(ketch, 0));
        for (long cp : checkpoints) {
            if (cp > compacted) {
                assertEquals(hashkv(etcd, cp), hashkv(ketch, cp), "hashkv --rev " + cp);
            }
        }
        CommandResult te = etcdctl(etcd, "endpoint", "hashkv");
        CommandResult tk = etcdctl(ketch, "endpoint", "hashkv");
        assertEquals(te.stdout().replace(etcd.endpoint(), "E"), tk.stdout().replace(ketch.endpoint(), "E"));
    }

    // ------------------------------------------------------------------ NOSPACE

    @Test
    void noSpaceAlarmBehavesLikeEtcds() throws Exception {
        byte[] b = new byte[100_000];
        new Random(7).nextBytes(b);
        byte[] value = java.util.Base64.getEncoder().encodeToString(b).substring(0, 100_000).getBytes(StandardCharsets.UTF_8);
        List<String> etcdTranscript;
        List<String> ketchTranscript;
        String quota = Integer.toString(4 << 20);
        try (ServerProcess etcd = Servers.etcd(spec("--quota-backend-bytes", quota)).start()) {
            etcdTranscript = noSpaceScenario(etcd, value);
        }
        try (ServerProcess ketch = ketch(spec("--quota-backend-bytes", quota)).start()) {
            ketchTranscript = noSpaceScenario(ketch, value);
        }
        System.out.println("NOSPACE transcript (etcd):\n" + String.join("\n", etcdTranscript));
        assertEquals(String.join("\n", etcdTranscript), String.join("\n", ketchTranscript));
    }

    /** Fills the store past the quota, then exercises what works and what not; returns what etcdctl said. */
    private static List<String> noSpaceScenario(ServerProcess s, byte[] value) throws Exception {
        List<String> t = new ArrayList<>();
        int stored = 0;
        CommandResult r = null;
        for (int i = 0; i < 200; i++) {
            r = etcdctlWithInput(s, value, "put", "big" + i);
            if (r.exitCode() != 0) {
                break;
            }
            stored++;
        }
        assertTrue(stored > 0 && r.exitCode() != 0, s.kind() + " stored " + stored + " values before NOSPACE");
        t.add("fill fails: " + r.exitCode() + " " + errorLine(r));
        t.add(transcript(s, "alarm", "list"));
        t.add(transcript(s, "alarm", "list", "-w", "json"));
        t.add(transcript(s, "endpoint", "status", "-w", "json"));
        t.add("health while raised: " + health(s, ""));
        t.add("health excluding NOSPACE: " + health(s, "?exclude=NOSPACE"));
        t.add(transcript(s, "put", "small", "x"));
        t.add(transcript(s, "get", "big0", "--print-value-only").length() > 100_000 ? "get works" : "get fails");
        t.add(transcriptWithInput(s, "\nput q 1\n\n\n", "txn"));
        t.add(transcriptWithInput(s, "\ndel big0\n\n\n", "txn"));
        CommandResult del = etcdctl(s, "del", "--prefix", "big");
        t.add("del --prefix big: " + del.exitCode() + " deleted " + (del.stdout().trim().equals(Integer.toString(stored - 1))));
        long rev = revision(s);
        CommandResult compact = etcdctl(s, "compact", Long.toString(rev));
        t.add("compact: " + compact.exitCode() + " " + compact.stdout().trim().replace(Long.toString(rev), "REV"));
        t.add(transcript(s, "alarm", "disarm"));
        t.add(transcript(s, "alarm", "list"));
        // disarmed, but the file has not shrunk: the next big write raises the alarm again
        CommandResult again = etcdctlWithInput(s, value, "put", "again");
        t.add("put after disarm without defrag: " + again.exitCode() + " " + errorLine(again));
        t.add(transcript(s, "alarm", "list"));
        t.add(transcript(s, "defrag"));
        t.add(transcript(s, "alarm", "disarm"));
        CommandResult after = etcdctlWithInput(s, value, "put", "after");
        t.add("put after defrag and disarm: " + after.exitCode() + " " + after.stdout().trim());
        t.add(transcript(s, "alarm", "list"));
        t.add(transcript(s, "endpoint", "status", "-w", "json"));
        t.add("health after: " + health(s, ""));
        return t;
    }

    private static String transcript(ServerProcess s, String... args) {
        CommandResult r = etcdctl(s, args);
        return String.join(" ", args) + " -> " + r.exitCode() + " " + normalize(r.stdout().trim(), s) + " " + errorLine(r)
                .replace(s.endpoint(), "ENDPOINT");
    }

    private static String transcriptWithInput(ServerProcess s, String input, String... args) {
        CommandResult r = etcdctlWithInput(s, input.getBytes(StandardCharsets.UTF_8), args);
        return String.join(" ", args) + " " + input.trim() + " -> " + r.exitCode() + " " + r.stdout().trim() + " "
                + errorLine(r);
    }

    private static long revision(ServerProcess s) {
        CommandResult r = etcdctl(s, "endpoint", "status", "-w", "json");
        Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(r.stdout());
        assertTrue(m.find(), r.stdout());
        return Long.parseLong(m.group(1));
    }

    /** HTTP status and the "health" value of /health (etcd 3.4 has no "reason"). */
    private static String health(ServerProcess s, String query) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://" + s.endpoint() + "/health" + query)).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("\"health\":\"(\\w+)\"").matcher(r.body());
        return r.statusCode() + " " + (m.find() ? m.group(1) : r.body());
    }

    // ------------------------------------------------------------------ snapshot

    @Test
    void snapshotSaveAndRestoreGiveTheSameKeysRevisionAndHashAsEtcd() throws Exception {
        List<String> restoredEtcd;
        List<String> restoredKetch;
        try (ServerProcess etcd = Servers.etcd(spec()).start();
             ServerProcess ketch = ketch(spec()).start()) {
            for (ServerProcess s : List.of(etcd, ketch)) {
                for (int i = 0; i < 50; i++) {
                    assertEquals(0, etcdctl(s, "put", "snap/" + i, "value " + i).exitCode());
                }
                etcdctl(s, "put", "snap/3", "again");
                etcdctl(s, "del", "snap/4");
                etcdctl(s, "compact", "20");
            }
            Path etcdFile = tmp.resolve("etcd.snapshot.db");
            Path ketchFile = tmp.resolve("ketch.snapshot.db");
            CommandResult se = etcdctl(etcd, "snapshot", "save", etcdFile.toString());
            CommandResult sk = etcdctl(ketch, "snapshot", "save", ketchFile.toString());
            assertEquals(0, sk.exitCode(), sk.stderr());
            assertEquals(se.stdout().replace(etcdFile.toString(), "FILE"), sk.stdout().replace(ketchFile.toString(), "FILE"));
            assertEquals("Snapshot saved at " + ketchFile + "\n", sk.stdout());
            assertEquals(32, Files.size(ketchFile) % 512);
            String liveHash = hashkv(ketch, 0);
            assertEquals(hashkv(etcd, 0), liveHash);

            int peer = Ports.freePort();
            List<String> flags = List.of("--name", "restored", "--initial-cluster", "restored=http://127.0.0.1:" + peer,
                    "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer, "--initial-cluster-token", "restored-token");
            List<String> etcdRestore = new ArrayList<>(List.of("etcdctl", "snapshot", "restore", etcdFile.toString(),
                    "--data-dir", tmp.resolve("etcd-restored").toString()));
            etcdRestore.addAll(flags);
            CommandResult etcdRestored = exec(etcdRestore);
            assertEquals(0, etcdRestored.exitCode(), etcdRestored::describe);
            List<String> ketchRestore = new ArrayList<>(KetchProcess.executable());
            ketchRestore.addAll(List.of("snapshot", "restore", ketchFile.toString(),
                    "--data-dir", tmp.resolve("ketch-restored").toString()));
            ketchRestore.addAll(flags);
            CommandResult ketchRestored = exec(ketchRestore);
            assertEquals(0, ketchRestored.exitCode(), ketchRestored::describe);
            CommandResult twice = exec(ketchRestore);
            assertNotEquals(0, twice.exitCode(),
                    () -> "restoring into an existing data dir is refused, as etcd\n" + twice.describe());

            String[] restoredFlags = flags.toArray(String[]::new);
            restoredEtcd = restoredAnswers(Servers.etcd(spec(restoredFlags).dataDir(tmp.resolve("etcd-restored"))));
            restoredKetch = restoredAnswers(ketch(spec(restoredFlags).dataDir(tmp.resolve("ketch-restored"))));
            assertEquals(liveHash, restoredKetch.get(restoredKetch.size() - 1), "restored hash equals the original's");
        }
        System.out.println("restored answers (etcd):\n" + String.join("\n", restoredEtcd));
        assertEquals(String.join("\n", restoredEtcd), String.join("\n", restoredKetch));
    }

    /** What a restored member answers: its keys, revision, IDs and hash. */
    private static List<String> restoredAnswers(ServerProcess restored) {
        try (restored) {
            restored.start();
            List<String> out = new ArrayList<>();
            CommandResult get = etcdctl(restored, "get", "", "--prefix", "-w", "json");
            out.add(get.stdout().replaceAll("\"raft_term\":\\d+", "\"raft_term\":T"));
            CommandResult status = etcdctl(restored, "endpoint", "status", "-w", "json");
            Matcher ids = Pattern.compile("\"cluster_id\":\\d+,\"member_id\":\\d+,\"revision\":\\d+").matcher(status.stdout());
            out.add(ids.find() ? ids.group() : status.stdout());
            CommandResult compacted = etcdctl(restored, "get", "snap/1", "--rev", "10");
            out.add("read below the compaction: " + errorLine(compacted));
            out.add(hashkv(restored, 0));
            return out;
        }
    }

    /** Runs a command that must exit within 120 s. */
    private static CommandResult exec(List<String> cmd) {
        CommandResult r = Commands.run(cmd, Map.of(), null, Duration.ofSeconds(120));
        assertFalse(r.timedOut(), r::describe);
        return r;
    }
}
