package io.ketch.e2e.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.PutResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the multi-member end-to-end tests check and how they load a cluster: a write load
 * that records every acknowledged put, the check that each is on a member with the value and
 * revision it was acknowledged with, HashKV agreement, and the members' view of the leader
 * (from {@code etcdctl endpoint status}).
 */
public final class ClusterChecks {
    private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\":(\\d+)");
    private static final Pattern LEADER = Pattern.compile("\"leader\":(\\d+)");
    private static final Pattern REVISION = Pattern.compile("\"revision\":(\\d+)");
    private static final Pattern HASH = Pattern.compile("\"hash\":(\\d+)");

    private ClusterChecks() {
    }

    /** Linearizable reads on member m of every acknowledged key: value and mod revision as acknowledged. */
    public static void assertEveryAcknowledgedPutIsOn(ServerProcess m, Map<String, Long> acked) throws Exception {
        try (Client c = Client.builder().endpoints(m.clientUrl()).build()) {
            Map<String, Long> missing = new TreeMap<>();
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
    public static void assertHashesAgree(List<ServerProcess> members) {
        Etcdctl all = new Etcdctl(endpoints(members));
        String out = Await.value("every member at one revision", Duration.ofSeconds(30), () -> {
            String s = all.ok("endpoint", "hashkv", "-w", "json").stdout();
            Set<String> revisions = new HashSet<>(all(REVISION, s));
            return revisions.size() == 1 && all(HASH, s).size() == members.size() ? Optional.of(s) : Optional.empty();
        });
        Set<String> hashes = new HashSet<>(all(HASH, out));
        assertEquals(1, hashes.size(), "HashKV differs between members: " + out);
    }

    /** Puts unique keys from several threads over one jetcd client on the given members, recording acknowledgements. */
    public static final class Load {
        public final Map<String, Long> acked = new ConcurrentHashMap<>();
        public final AtomicInteger failed = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();
        private final Client client;

        public Load(List<ServerProcess> members, int writers) {
            client = Client.builder().endpoints(members.stream().map(ServerProcess::clientUrl)
                    .toArray(String[]::new)).build();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                threads.add(new Thread(() -> write(writer), "load-" + w));
            }
        }

        public void start() {
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

        /** Waits until {@code more} puts beyond those acknowledged so far are acknowledged. */
        public void awaitMore(int more, Duration timeout) {
            awaitAcked(acked.size() + more, timeout);
        }

        public void awaitAcked(int n, Duration timeout) {
            Await.until(n + " acknowledged puts (now " + acked.size() + ")", timeout, () -> acked.size() >= n);
        }

        public void stop() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
            client.close();
        }
    }

    public static String value(String key) {
        return "value-of-" + key;
    }

    public static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** host:port of every member, comma-separated (etcdctl's --endpoints). */
    public static String endpoints(List<ServerProcess> members) {
        return String.join(",", members.stream().map(ServerProcess::endpoint).toList());
    }

    /** The leader as every member reports it, once they all agree on one. */
    public static long leaderSeenByAll(List<ServerProcess> members) {
        return Await.value("every member to report the same leader", Duration.ofSeconds(30), () -> {
            Set<Long> seen = new HashSet<>();
            for (ServerProcess m : members) {
                Optional<Long> l = leaderOf(m);
                if (l.isEmpty() || l.get() == 0) {
                    return Optional.empty();
                }
                seen.add(l.get());
            }
            return seen.size() == 1 ? Optional.of(seen.iterator().next()) : Optional.empty();
        });
    }

    public static Set<Long> memberIds(List<ServerProcess> members) {
        Set<Long> ids = new HashSet<>();
        members.forEach(m -> ids.add(idOf(m).orElseThrow()));
        return ids;
    }

    public static ServerProcess byId(List<ServerProcess> members, long id) {
        return members.stream().filter(m -> idOf(m).equals(Optional.of(id))).findFirst().orElseThrow();
    }

    public static Optional<Long> leaderOf(ServerProcess m) {
        return status(m).map(s -> Long.parseUnsignedLong(first(LEADER, s)));
    }

    public static Optional<Long> idOf(ServerProcess m) {
        return status(m).map(s -> Long.parseUnsignedLong(first(MEMBER_ID, s)));
    }

    /** {@code etcdctl endpoint status -w json} of one member, if it answers with a leader field. */
    public static Optional<String> status(ServerProcess m) {
        CommandResult r = Etcdctl.of(m).withTimeout(Duration.ofSeconds(10))
                .run("endpoint", "status", "-w", "json", "--command-timeout=3s");
        return r.ok() && LEADER.matcher(r.stdout()).find() ? Optional.of(r.stdout()) : Optional.empty();
    }

    public static String first(Pattern p, String s) {
        Matcher m = p.matcher(s);
        if (!m.find()) {
            throw new AssertionError("no " + p + " in " + s);
        }
        return m.group(1);
    }

    public static List<String> all(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    public static int countMatches(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    /** Sends a signal (STOP, CONT, TERM...) to a member's process. */
    public static void signal(String sig, ServerProcess m) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(m.pid())).inheritIO().start();
        assertEquals(0, p.waitFor(), "kill -" + sig + " " + m.pid());
    }
}
