package io.ketch.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.ketch.e2e.support.Await;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import io.ketch.pb.etcdserver.KVGrpc;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.PutResponse;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.mvcc.KeyValue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Durability under SIGKILL: 8 writer threads over 2 gRPC channels put unique keys and record
 * every acknowledged put (key, header.revision); the server is killed with SIGKILL at a random
 * moment, restarted on the same data dir, and must still hold every acknowledged key at exactly
 * the acknowledged revision. Repeated for {@code ketch.crash.rounds} (default 10) kills in one
 * data dir, and again with --snapshot-count=50 so that snapshots and WAL release happen between
 * kills ({@code ketch.crash.snapshotRounds}, default 4). The seed ({@code ketch.crash.seed}) is
 * printed so a failing run can be repeated.
 */
class CrashRecoveryIT {
    private static final int WRITERS = 8;
    private static final int CHANNELS = 2;
    private static final int SIGKILL_EXIT = 137; // 128 + 9: what Process reports for a SIGKILLed child on Linux

    @Test
    void acknowledgedPutsSurviveSigkill() throws Exception {
        runRounds("default", Integer.getInteger("ketch.crash.rounds", 10), ServerSpec.defaults());
    }

    @Test
    void acknowledgedPutsSurviveSigkillWithFrequentSnapshots() throws Exception {
        runRounds("snapshot-count=50", Integer.getInteger("ketch.crash.snapshotRounds", 4),
                ServerSpec.defaults().arg("--snapshot-count=50"));
    }

    private void runRounds(String label, int rounds, ServerSpec spec) throws Exception {
        long seed = Long.getLong("ketch.crash.seed", System.nanoTime());
        String rerun = "[" + label + "] seed=" + seed + " (rerun with -Dketch.crash.seed=" + seed + ")";
        System.out.println("CrashRecoveryIT " + rerun + ", rounds=" + rounds);
        Random random = new Random(seed);
        History history = new History();
        ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
        try (ServerProcess server = Servers.candidate(spec)) {
            server.start();
            for (int round = 1; round <= rounds; round++) {
                long delay = 200 + random.nextInt(1301);
                int ackedBefore = history.acked.size();
                int exit = writeUntilKilled(server, history, round, delay, killer);
                assertEquals(SIGKILL_EXIT, exit, rerun + " round " + round + ": process did not die by SIGKILL");
                server.start();
                Verification v = verify(server, history);
                System.out.printf("CrashRecoveryIT [%s] round %d/%d: killed after %d ms, %d puts acknowledged this round"
                        + " (%d in total), max acknowledged revision %d, revision after restart %d, %d keys stored%n",
                        label, round, rounds, delay, history.acked.size() - ackedBefore, history.acked.size(),
                        history.maxAckedRevision(), v.currentRevision, v.stored);
                if (!v.violations.isEmpty()) {
                    fail(rerun + " round " + round + ": " + v.violations.size() + " durability violations after kill -9 and restart"
                            + " (data dir " + server.dataDir() + "); by kind: " + v.countsByKind() + "\n  "
                            + String.join("\n  ", v.samples(10)));
                }
            }
            assertTrue(history.acked.size() > 0, rerun + ": no put was ever acknowledged, the test proved nothing");
        } finally {
            killer.shutdownNow();
        }
    }

    /** All that the writers did, across rounds. */
    static final class History {
        /** key -> revision from the acknowledged PutResponse header. */
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        /** keys whose put was sent but neither acknowledged nor refused (in flight at the kill): may or may not exist. */
        final Map<String, Boolean> uncertain = new ConcurrentHashMap<>();
        /** next sequence number per writer; keys stay unique across rounds. */
        final long[] nextSeq = new long[WRITERS];

        long maxAckedRevision() {
            return acked.values().stream().mapToLong(Long::longValue).max().orElse(0);
        }
    }

    private int writeUntilKilled(ServerProcess server, History history, int round, long delayMillis,
            ScheduledExecutorService killer) throws Exception {
        List<ManagedChannel> channels = new ArrayList<>();
        for (int c = 0; c < CHANNELS; c++) {
            channels.add(NettyChannelBuilder.forAddress("127.0.0.1", server.clientPort()).usePlaintext().build());
        }
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        List<Throwable> unexpected = new ArrayList<>();
        try {
            for (ManagedChannel ch : channels) {
                Await.until("gRPC channel to " + server.endpoint() + " to be READY", Await.DEFAULT_TIMEOUT,
                        () -> ch.getState(true) == ConnectivityState.READY);
            }
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                KVGrpc.KVBlockingStub stub = KVGrpc.newBlockingStub(channels.get(w % CHANNELS));
                Thread t = new Thread(() -> {
                    try {
                        writeLoop(writer, stub, history, stop);
                    } catch (Throwable e) {
                        synchronized (unexpected) {
                            unexpected.add(e);
                        }
                    }
                }, "crash-writer-" + w + "-round-" + round);
                t.start();
                writers.add(t);
            }
            ScheduledFuture<Integer> kill = killer.schedule(server::kill9, delayMillis, TimeUnit.MILLISECONDS);
            int exit = kill.get(60, TimeUnit.SECONDS);
            stop.set(true);
            for (Thread t : writers) {
                t.join(Duration.ofSeconds(30).toMillis());
                if (t.isAlive()) {
                    throw new AssertionError(t.getName() + " still running 30 s after the kill");
                }
            }
            if (!unexpected.isEmpty()) {
                throw new AssertionError("writer failed unexpectedly", unexpected.get(0));
            }
            return exit;
        } finally {
            stop.set(true);
            for (ManagedChannel ch : channels) {
                ch.shutdownNow();
                ch.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void writeLoop(int writer, KVGrpc.KVBlockingStub stub, History history, AtomicBoolean stop) {
        while (!stop.get()) {
            long seq = history.nextSeq[writer]++;
            String key = key(writer, seq);
            history.uncertain.put(key, Boolean.TRUE);
            PutResponse response;
            try {
                response = stub.withDeadlineAfter(5, TimeUnit.SECONDS).put(PutRequest.newBuilder()
                        .setKey(bytes(key))
                        .setValue(bytes(value(writer, seq)))
                        .build());
            } catch (StatusRuntimeException e) {
                // the server died under us (or refused): the put may or may not have been applied
                return;
            }
            history.uncertain.remove(key);
            history.acked.put(key, response.getHeader().getRevision());
        }
    }

    record Verification(long currentRevision, int stored, List<String> violations) {
        /** At most {@code perKind} violations of each kind, in the order found. */
        List<String> samples(int perKind) {
            Map<String, Long> seen = new HashMap<>();
            List<String> out = new ArrayList<>();
            for (String v : violations) {
                if (seen.merge(v.substring(0, v.indexOf(':')), 1L, Long::sum) <= perKind) {
                    out.add(v);
                }
            }
            if (out.size() < violations.size()) {
                out.add("... (" + (violations.size() - out.size()) + " more)");
            }
            return out;
        }

        Map<String, Long> countsByKind() {
            Map<String, Long> counts = new TreeMap<>();
            violations.forEach(v -> counts.merge(v.substring(0, v.indexOf(':')), 1L, Long::sum));
            return counts;
        }
    }

    /** Reads every "w..." key (paged, at one revision) and checks the durability invariants. */
    private Verification verify(ServerProcess server, History history) throws InterruptedException {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.clientPort()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        try {
            KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(ch);
            Map<String, KeyValue> stored = new TreeMap<>();
            long[] revision = {0};
            Await.until("a full read of the w* keys from " + server.endpoint(), Await.DEFAULT_TIMEOUT, () -> {
                stored.clear();
                revision[0] = readAll(kv, stored);
                return true;
            });
            long current = revision[0];

            List<String> violations = new ArrayList<>();
            history.acked.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                KeyValue kvp = stored.get(e.getKey());
                if (kvp == null) {
                    violations.add("LOST: acknowledged key " + e.getKey() + " (revision " + e.getValue() + ") is missing");
                } else if (kvp.getModRevision() != e.getValue()) {
                    violations.add("WRONG REVISION: " + e.getKey() + " acknowledged at revision " + e.getValue()
                            + " but stored with mod_revision " + kvp.getModRevision());
                }
            });
            Map<Long, String> byRevision = new HashMap<>();
            for (Map.Entry<String, KeyValue> e : stored.entrySet()) {
                KeyValue kvp = e.getValue();
                String previous = byRevision.put(kvp.getModRevision(), e.getKey());
                if (previous != null) {
                    violations.add("DUPLICATE REVISION: " + previous + " and " + e.getKey() + " both have mod_revision "
                            + kvp.getModRevision());
                }
                if (!history.acked.containsKey(e.getKey()) && !history.uncertain.containsKey(e.getKey())) {
                    violations.add("PHANTOM: " + e.getKey() + " is stored but was never sent, or its put was never in flight at a kill");
                }
                String expectedValue = valueForKey(e.getKey());
                String actualValue = kvp.getValue().toStringUtf8();
                if (!actualValue.equals(expectedValue)) {
                    violations.add("WRONG VALUE: " + e.getKey() + " = " + actualValue + ", expected " + expectedValue);
                }
                if (kvp.getVersion() != 1 || kvp.getCreateRevision() != kvp.getModRevision()) {
                    violations.add("WRONG VERSION: " + e.getKey() + " was written once but has version " + kvp.getVersion()
                            + ", create_revision " + kvp.getCreateRevision() + ", mod_revision " + kvp.getModRevision());
                }
                if (kvp.getModRevision() > current) {
                    violations.add("FUTURE: " + e.getKey() + " has mod_revision " + kvp.getModRevision()
                            + " above the header revision " + current);
                }
            }
            // nothing but these unique, never-overwritten puts is written, each bumping the revision by
            // one from the initial 1: so revisions 2..current must be exactly the stored keys' revisions
            if (stored.size() != current - 1) {
                violations.add("REVISION ACCOUNTING: current revision " + current + " but " + stored.size()
                        + " keys stored (expected current - 1 = " + (current - 1) + ": every put bumps the revision by exactly one)");
            }
            long maxAcked = history.maxAckedRevision();
            if (current < maxAcked) {
                violations.add("REVISION WENT BACK: current revision " + current + " < max acknowledged revision " + maxAcked);
            }
            return new Verification(current, stored.size(), violations);
        } finally {
            ch.shutdownNow();
            ch.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static long readAll(KVGrpc.KVBlockingStub kv, Map<String, KeyValue> into) {
        ByteString end = bytes("x"); // prefix end of "w"
        ByteString from = bytes("w");
        long revision = 0;
        while (true) {
            RangeRequest.Builder req = RangeRequest.newBuilder().setKey(from).setRangeEnd(end).setLimit(5000);
            if (revision != 0) {
                req.setRevision(revision);
            }
            RangeResponse resp = kv.withDeadlineAfter(10, TimeUnit.SECONDS).range(req.build());
            if (revision == 0) {
                revision = resp.getHeader().getRevision();
            }
            for (KeyValue k : resp.getKvsList()) {
                into.put(k.getKey().toStringUtf8(), k);
            }
            if (!resp.getMore() || resp.getKvsCount() == 0) {
                return revision;
            }
            from = resp.getKvs(resp.getKvsCount() - 1).getKey().concat(ByteString.copyFrom(new byte[] {0}));
        }
    }

    private static String key(int writer, long seq) {
        return "w" + writer + "-" + seq;
    }

    private static String value(int writer, long seq) {
        return "v" + writer + "-" + seq;
    }

    private static String valueForKey(String key) {
        return "v" + key.substring(1);
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }
}
