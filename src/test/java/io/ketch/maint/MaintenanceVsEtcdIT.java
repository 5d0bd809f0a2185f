package io.ketch.maint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.ketch.pb.etcdserver.KVGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    private static String normalize(String s, ServerProc server) {
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
        try (ServerProc etcd = ServerProc.etcd(tmp.resolve("etcd")).start();
             ServerProc ketch = ServerProc.ketch(tmp.resolve("ketch"), "--snapshot-count", "37").start()) {
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

    private static long apply(ServerProc server, History.Op op) throws InterruptedException {
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

    private static String hashkv(ServerProc server, long rev) {
        Etcdctl.Result r = Etcdctl.run(server.endpoint(), "endpoint", "hashkv", "--rev", Long.toString(rev), "-w", "json");
        assertEquals(0, r.exit(), () -> server.kind + " hashkv: " + r.err());
        return normalize(r.out().trim(), server);
    }

    /** HashKV at the current revision and at every checkpoint not compacted away, plus the table form. */
    private static void assertSameHashes(ServerProc etcd, ServerProc ketch, List<Long> checkpoints, long compacted) {
        assertEquals(hashkv(etcd, 0), hashkv(ketch, 0));
        for (long cp : checkpoints) {
            if (cp > compacted) {
                assertEquals(hashkv(etcd, cp), hashkv(ketch, cp), "hashkv --rev " + cp);
            }
        }
        Etcdctl.Result te = Etcdctl.run(etcd.endpoint(), "endpoint", "hashkv");
        Etcdctl.Result tk = Etcdctl.run(ketch.endpoint(), "endpoint", "hashkv");
        assertEquals(te.out().replace(etcd.endpoint(), "E"), tk.out().replace(ketch.endpoint(), "E"));
    }

    // ------------------------------------------------------------------ NOSPACE

    @Test
    void noSpaceAlarmBehavesLikeEtcds() throws Exception {
        Path value = tmp.resolve("value");
        byte[] b = new byte[100_000];
        new Random(7).nextBytes(b);
        Files.writeString(value, java.util.Base64.getEncoder().encodeToString(b).substring(0, 100_000));
        List<String> etcdTranscript;
        List<String> ketchTranscript;
        String quota = Integer.toString(4 << 20);
        try (ServerProc etcd = ServerProc.etcd(tmp.resolve("etcd"), "--quota-backend-bytes", quota).start()) {
            etcdTranscript = noSpaceScenario(etcd, value);
        }
        try (ServerProc ketch = ServerProc.ketch(tmp.resolve("ketch"), "--quota-backend-bytes", quota).start()) {
            ketchTranscript = noSpaceScenario(ketch, value);
        }
        System.out.println("NOSPACE transcript (etcd):\n" + String.join("\n", etcdTranscript));
        assertEquals(String.join("\n", etcdTranscript), String.join("\n", ketchTranscript));
    }

    /** Fills the store past the quota, then exercises what works and what not; returns what etcdctl said. */
    private List<String> noSpaceScenario(ServerProc s, Path value) throws Exception {
        List<String> t = new ArrayList<>();
        String ep = s.endpoint();
        int stored = 0;
        Etcdctl.Result r = null;
        for (int i = 0; i < 200; i++) {
            r = Etcdctl.runWithInput(ep, value, "put", "big" + i);
            if (r.exit() != 0) {
                break;
            }
            stored++;
        }
        assertTrue(stored > 0 && r.exit() != 0, s.kind + " stored " + stored + " values before NOSPACE");
        t.add("fill fails: " + r.exit() + " " + r.errorLine());
        t.add(transcript(s, "alarm", "list"));
        t.add(transcript(s, "alarm", "list", "-w", "json"));
        t.add(transcript(s, "endpoint", "status", "-w", "json"));
        t.add("health while raised: " + health(s, ""));
        t.add("health excluding NOSPACE: " + health(s, "?exclude=NOSPACE"));
        t.add(transcript(s, "put", "small", "x"));
        t.add(transcript(s, "get", "big0", "--print-value-only").length() > 100_000 ? "get works" : "get fails");
        t.add(transcriptWithInput(s, "\nput q 1\n\n\n", "txn"));
        t.add(transcriptWithInput(s, "\ndel big0\n\n\n", "txn"));
        Etcdctl.Result del = Etcdctl.run(ep, "del", "--prefix", "big");
        t.add("del --prefix big: " + del.exit() + " deleted " + (del.out().trim().equals(Integer.toString(stored - 1))));
        long rev = revision(s);
        Etcdctl.Result compact = Etcdctl.run(ep, "compact", Long.toString(rev));
        t.add("compact: " + compact.exit() + " " + compact.out().trim().replace(Long.toString(rev), "REV"));
        t.add(transcript(s, "alarm", "disarm"));
        t.add(transcript(s, "alarm", "list"));
        // disarmed, but the file has not shrunk: the next big write raises the alarm again
        Etcdctl.Result again = Etcdctl.runWithInput(ep, value, "put", "again");
        t.add("put after disarm without defrag: " + again.exit() + " " + again.errorLine());
        t.add(transcript(s, "alarm", "list"));
        t.add(transcript(s, "defrag"));
        t.add(transcript(s, "alarm", "disarm"));
        Etcdctl.Result after = Etcdctl.runWithInput(ep, value, "put", "after");
        t.add("put after defrag and disarm: " + after.exit() + " " + after.out().trim());
        t.add(transcript(s, "alarm", "list"));
        t.add(transcript(s, "endpoint", "status", "-w", "json"));
        t.add("health after: " + health(s, ""));
        return t;
    }

    private static String transcript(ServerProc s, String... args) {
        Etcdctl.Result r = Etcdctl.run(s.endpoint(), args);
        return String.join(" ", args) + " -> " + r.exit() + " " + normalize(r.out().trim(), s) + " " + r.errorLine()
                .replace(s.endpoint(), "ENDPOINT");
    }

    private String transcriptWithInput(ServerProc s, String input, String... args) throws IOException {
        Path in = Files.createTempFile(tmp, "in", ".txt");
        Files.writeString(in, input);
        Etcdctl.Result r = Etcdctl.runWithInput(s.endpoint(), in, args);
        return String.join(" ", args) + " " + input.trim() + " -> " + r.exit() + " " + r.out().trim() + " " + r.errorLine();
    }

    private static long revision(ServerProc s) {
        Etcdctl.Result r = Etcdctl.run(s.endpoint(), "endpoint", "status", "-w", "json");
        Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        return Long.parseLong(m.group(1));
    }

    /** HTTP status and the "health" value of /health (etcd 3.4 has no "reason"). */
    private static String health(ServerProc s, String query) throws Exception {
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
        try (ServerProc etcd = ServerProc.etcd(tmp.resolve("etcd")).start();
             ServerProc ketch = ServerProc.ketch(tmp.resolve("ketch")).start()) {
            for (ServerProc s : List.of(etcd, ketch)) {
                for (int i = 0; i < 50; i++) {
                    assertEquals(0, Etcdctl.run(s.endpoint(), "put", "snap/" + i, "value " + i).exit());
                }
                Etcdctl.run(s.endpoint(), "put", "snap/3", "again");
                Etcdctl.run(s.endpoint(), "del", "snap/4");
                Etcdctl.run(s.endpoint(), "compact", "20");
            }
            Path etcdFile = tmp.resolve("etcd.snapshot.db");
            Path ketchFile = tmp.resolve("ketch.snapshot.db");
            Etcdctl.Result se = Etcdctl.run(etcd.endpoint(), "snapshot", "save", etcdFile.toString());
            Etcdctl.Result sk = Etcdctl.run(ketch.endpoint(), "snapshot", "save", ketchFile.toString());
            assertEquals(0, sk.exit(), sk.err());
            assertEquals(se.out().replace(etcdFile.toString(), "FILE"), sk.out().replace(ketchFile.toString(), "FILE"));
            assertEquals("Snapshot saved at " + ketchFile + "\n", sk.out());
            assertEquals(32, Files.size(ketchFile) % 512);
            String liveHash = hashkv(ketch, 0);
            assertEquals(hashkv(etcd, 0), liveHash);

            int peer = ServerProc.freePort();
            List<String> flags = List.of("--name", "restored", "--initial-cluster", "restored=http://127.0.0.1:" + peer,
                    "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer, "--initial-cluster-token", "restored-token");
            List<String> etcdRestore = new ArrayList<>(List.of("etcdctl", "snapshot", "restore", etcdFile.toString(),
                    "--data-dir", tmp.resolve("etcd-restored").toString()));
            etcdRestore.addAll(flags);
            assertEquals(0, exec(etcdRestore));
            List<String> ketchRestore = new ArrayList<>(List.of(javaBin(), "-jar", System.getProperty("ketch.jar"),
                    "snapshot", "restore", ketchFile.toString(), "--data-dir", tmp.resolve("ketch-restored").toString()));
            ketchRestore.addAll(flags);
            assertEquals(0, exec(ketchRestore));
            assertNotEquals(0, exec(ketchRestore), "restoring into an existing data dir is refused, as etcd");

            restoredEtcd = restoredAnswers(ServerProc.etcd(tmp.resolve("etcd-restored"), flags.toArray(String[]::new)));
            restoredKetch = restoredAnswers(ServerProc.ketch(tmp.resolve("ketch-restored"), flags.toArray(String[]::new)));
            assertEquals(liveHash, restoredKetch.get(restoredKetch.size() - 1), "restored hash equals the original's");
        }
        System.out.println("restored answers (etcd):\n" + String.join("\n", restoredEtcd));
        assertEquals(String.join("\n", restoredEtcd), String.join("\n", restoredKetch));
    }

    /** What a restored member answers: its keys, revision, IDs and hash. */
    private static List<String> restoredAnswers(ServerProc restored) {
        try (restored) {
            restored.start();
            List<String> out = new ArrayList<>();
            Etcdctl.Result get = Etcdctl.run(restored.endpoint(), "get", "", "--prefix", "-w", "json");
            out.add(get.out().replaceAll("\"raft_term\":\\d+", "\"raft_term\":T"));
            Etcdctl.Result status = Etcdctl.run(restored.endpoint(), "endpoint", "status", "-w", "json");
            Matcher ids = Pattern.compile("\"cluster_id\":\\d+,\"member_id\":\\d+,\"revision\":\\d+").matcher(status.out());
            out.add(ids.find() ? ids.group() : status.out());
            Etcdctl.Result compacted = Etcdctl.run(restored.endpoint(), "get", "snap/1", "--rev", "10");
            out.add("read below the compaction: " + compacted.errorLine());
            out.add(hashkv(restored, 0));
            return out;
        }
    }

    private int exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("restore.log").toFile())).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return p.exitValue();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
