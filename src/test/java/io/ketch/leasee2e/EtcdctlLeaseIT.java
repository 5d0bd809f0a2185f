package io.ketch.leasee2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.KetchProcess;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import io.ketch.pb.etcdserver.LeaseGrpc;
import io.ketch.pb.etcdserver.LeaseKeepAliveRequest;
import io.ketch.pb.etcdserver.LeaseKeepAliveResponse;
import io.ketch.testing.Poll;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real etcdctl's lease commands against etcd 3.4 and against the packaged Ketch, run the
 * same way on both; their answers must read the same once lease IDs (chosen by each server)
 * are replaced by their order of appearance and remaining TTLs by a coarse bucket.
 */
class EtcdctlLeaseIT {
    @BeforeAll
    static void needsEtcdAndTheJar() {
        assumeTrue(new File("/usr/bin/etcd").canExecute() && new File("/usr/bin/etcdctl").canExecute(),
                "etcd and etcdctl are not installed");
        Path jar = Path.of(System.getProperty("ketch.jar", "target/quarkus-app/quarkus-run.jar"));
        assumeTrue(Files.exists(jar), "build the jar first: " + jar);
    }

    /**
     * Starts "etcd" or "ketch" with no --name (so "default") and bootstrap flags for its own
     * peer port, giving it 60 s to become healthy.
     */
    private static ServerProcess start(String kind) {
        ServerSpec spec = ServerSpec.defaults().name(null).healthyWithin(Duration.ofSeconds(60));
        ServerProcess server = kind.equals("etcd") ? Servers.etcd(spec) : new KetchProcess(spec);
        try {
            return server.start();
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    /** etcdctl with short dial and command timeouts; any exit code is an answer, a command that hangs fails the test. */
    private static CommandResult etcdctl(ServerProcess s, String... args) {
        return Etcdctl.of(s).withFlags("--dial-timeout=2s", "--command-timeout=10s").completed(args);
    }

    /** One scenario's transcript: each command with its exit code, output and error lines. */
    private static List<String> leaseScenario(ServerProcess s) {
        List<String> t = new ArrayList<>();
        Function<String[], String> run = args -> {
            CommandResult r = etcdctl(s, args);
            t.add("$ etcdctl " + String.join(" ", args) + "\n" + "exit " + r.exitCode() + "\n" + r.stdout()
                    + errorLines(r.stderr()));
            return r.stdout();
        };
        String a = idOf(run.apply(new String[] {"lease", "grant", "60"}));
        String b = idOf(run.apply(new String[] {"lease", "grant", "100"}));
        run.apply(new String[] {"put", "--lease=" + a, "k2", "v2"});
        run.apply(new String[] {"put", "--lease=" + a, "k1", "v1"});
        run.apply(new String[] {"put", "--lease=" + b, "k3", "v3"});
        run.apply(new String[] {"lease", "timetolive", a});
        run.apply(new String[] {"lease", "timetolive", "--keys", a});
        run.apply(new String[] {"lease", "keep-alive", "--once", a});
        run.apply(new String[] {"lease", "list"});
        run.apply(new String[] {"get", "--prefix", "k"});
        run.apply(new String[] {"put", "--lease=" + b, "k1", "moved"});
        run.apply(new String[] {"lease", "timetolive", "--keys", a});
        run.apply(new String[] {"lease", "revoke", a});
        run.apply(new String[] {"get", "--prefix", "k"});
        // bad input: etcd's errors, nothing changed
        run.apply(new String[] {"lease", "revoke", a});
        run.apply(new String[] {"lease", "timetolive", a});
        run.apply(new String[] {"lease", "keep-alive", "--once", a});
        run.apply(new String[] {"lease", "grant", "9000000001"});
        run.apply(new String[] {"put", "--lease=1234abcd", "k9", "v"});
        run.apply(new String[] {"lease", "list"});
        // a TTL below the minimum is raised to it
        run.apply(new String[] {"lease", "grant", "1"});
        run.apply(new String[] {"lease", "revoke", b});
        run.apply(new String[] {"get", "--prefix", "k"});
        return t;
    }

    @Test
    void leaseCommandsAnswerAsEtcdDoes() throws Exception {
        List<String> etcd;
        List<String> ketch;
        try (ServerProcess s = start("etcd")) {
            etcd = normalize(leaseScenario(s));
        }
        try (ServerProcess s = start("ketch")) {
            ketch = normalize(leaseScenario(s));
        }
        for (int i = 0; i < etcd.size(); i++) {
            assertEquals(etcd.get(i), ketch.get(i), "step " + i);
        }
        assertEquals(etcd.size(), ketch.size());
    }

    @Test
    void anExpiredLeaseDeletesItsKeysOnBoth() throws Exception {
        for (String kind : List.of("etcd", "ketch")) {
            try (ServerProcess s = start(kind)) {
                String id = idOf(etcdctl(s, "lease", "grant", "2").stdout());
                assertEquals(0, etcdctl(s, "put", "--lease=" + id, "gone", "soon").exitCode());
                assertTrue(Poll.until(Duration.ofSeconds(20), () -> etcdctl(s, "get", "gone").stdout().isEmpty()),
                        kind + ": expired within 20 s");
                assertEquals("lease " + id + " already expired\n", etcdctl(s, "lease", "timetolive", id).stdout(), kind);
            }
        }
    }

    @Test
    void keepAliveOfAnUnknownLeaseAnswersTtlZeroAndTheStreamGoesOnOnBoth() throws Exception {
        Map<String, List<Long>> ttls = new LinkedHashMap<>();
        for (String kind : List.of("etcd", "ketch")) {
            try (ServerProcess s = start(kind)) {
                long id = Long.parseUnsignedLong(idOf(etcdctl(s, "lease", "grant", "30").stdout()), 16);
                ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", s.clientPort()).usePlaintext().build();
                try {
                    BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
                    StreamObserver<LeaseKeepAliveRequest> req = LeaseGrpc.newStub(ch).leaseKeepAlive(new StreamObserver<>() {
                        @Override public void onNext(LeaseKeepAliveResponse r) { answers.add(r); }
                        @Override public void onError(Throwable t) { }
                        @Override public void onCompleted() { }
                    });
                    List<Long> got = new ArrayList<>();
                    for (long ask : new long[] {0x7777, id, 0x7777, id}) {
                        req.onNext(LeaseKeepAliveRequest.newBuilder().setID(ask).build());
                        LeaseKeepAliveResponse r = answers.poll(10, TimeUnit.SECONDS);
                        got.add(r == null ? null : r.getTTL());
                    }
                    req.onCompleted();
                    ttls.put(kind, got);
                } finally {
                    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        }
        assertEquals(List.of(0L, 30L, 0L, 30L), ttls.get("etcd"));
        assertEquals(ttls.get("etcd"), ttls.get("ketch"));
    }

    @Test
    void leasesAndTheirKeysSurviveAKillAndExpireAfterTheRestart() throws Exception {
        for (String kind : List.of("etcd", "ketch")) {
            try (ServerProcess s = start(kind)) {
                String longLived = idOf(etcdctl(s, "lease", "grant", "60").stdout());
                String shortLived = idOf(etcdctl(s, "lease", "grant", "3").stdout());
                etcdctl(s, "put", "--lease=" + longLived, "stay", "1");
                etcdctl(s, "put", "--lease=" + shortLived, "go", "1");
                long killed = System.nanoTime();
                s.kill9();
                s.start();
                String ttl = etcdctl(s, "lease", "timetolive", "--keys", longLived).stdout();
                Matcher m = Pattern.compile("granted with TTL\\(60s\\), remaining\\((\\d+)s\\), attached keys\\(\\[stay\\]\\)")
                        .matcher(ttl);
                assertTrue(m.find(), kind + ": " + ttl);
                long remaining = Long.parseLong(m.group(1));
                // the clock restarts with the full TTL (+1 s election timeout) when the member
                // comes back, which is after the kill: none dies early, none lives forever
                long sinceKill = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
                assertTrue(remaining >= 60 - sinceKill - 1 && remaining <= 61,
                        kind + ": a full TTL again after the restart (" + sinceKill + " s since the kill): " + ttl);
                assertTrue(etcdctl(s, "lease", "list").stdout().contains(shortLived), kind);
                assertTrue(Poll.until(Duration.ofSeconds(20), () -> etcdctl(s, "get", "go").stdout().isEmpty()),
                        kind + ": the short lease still expires after the restart");
                assertEquals("stay\n1\n", etcdctl(s, "get", "stay").stdout(), kind);
            }
        }
    }

    // ---------------------------------------------------------------- normalizing

    private static final Pattern LEASE_ID = Pattern.compile("\\b[0-9a-f]{16}\\b");
    private static final Pattern REMAINING = Pattern.compile("remaining\\((\\d+)s\\)");
    private static final Pattern ATTACHED = Pattern.compile("attached keys\\(\\[([^\\]]*)\\]\\)");

    private static String idOf(String grantOutput) {
        Matcher m = LEASE_ID.matcher(grantOutput);
        if (!m.find()) {
            throw new IllegalStateException("no lease ID in: " + grantOutput);
        }
        return m.group();
    }

    /** Only the "Error: ..." lines of stderr (etcdctl also logs JSON lines with timestamps). */
    private static String errorLines(String err) {
        StringBuilder b = new StringBuilder();
        for (String line : err.split("\n")) {
            if (line.startsWith("Error:")) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    /**
     * Lease IDs become L1, L2, ... by first appearance; remaining TTLs within 3 s of a whole ten
     * round to it; attached keys are sorted.
     */
    private static List<String> normalize(List<String> transcript) {
        Map<String, String> names = new LinkedHashMap<>();
        List<String> out = new ArrayList<>();
        for (String step : transcript) {
            Matcher m = LEASE_ID.matcher(step);
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                String name = names.computeIfAbsent(m.group(), x -> "L" + (names.size() + 1));
                m.appendReplacement(b, name);
            }
            m.appendTail(b);
            Matcher r = REMAINING.matcher(b.toString());
            StringBuilder c = new StringBuilder();
            while (r.find()) {
                long s = Long.parseLong(r.group(1));
                r.appendReplacement(c, "remaining(~" + ((s + 3) / 10 * 10) + "s)");
            }
            r.appendTail(c);
            // etcd lists a lease's keys in Go map order (random); Ketch in byte order
            Matcher k = ATTACHED.matcher(c.toString());
            StringBuilder d = new StringBuilder();
            while (k.find()) {
                List<String> keys = new ArrayList<>(List.of(k.group(1).split(" ")));
                keys.sort(null);
                k.appendReplacement(d, Matcher.quoteReplacement("attached keys([" + String.join(" ", keys) + "])"));
            }
            k.appendTail(d);
            out.add(d.toString());
        }
        return out;
    }
}
