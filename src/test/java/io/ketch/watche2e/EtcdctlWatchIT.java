package io.ketch.watche2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code etcdctl watch} against a packaged Ketch and a real etcd 3.4, started as processes
 * side by side: the same commands must print the same lines and exit the same way.
 * Run with {@code -DskipITs=false} (needs {@code etcd} and {@code etcdctl} on the PATH).
 */
class EtcdctlWatchIT {
    @TempDir
    static Path dir;
    static Server ketch;
    static Server etcd;

    record Server(String name, Process process, int port) {
        String endpoint() {
            return "127.0.0.1:" + port;
        }
    }

    record Result(int exitCode, List<String> stdout, List<String> stderr) {}

    @BeforeAll
    static void start() throws Exception {
        String jar = System.getProperty("ketch.jar", "target/quarkus-app/quarkus-run.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ketch = launch("ketch", List.of(java, "-jar", jar));
        etcd = launch("etcd", List.of("etcd"));
    }

    @AfterAll
    static void stop() {
        for (Server s : new Server[] {ketch, etcd}) {
            if (s != null) {
                s.process.destroyForcibly();
            }
        }
    }

    private static Server launch(String name, List<String> command) throws Exception {
        int port = freePort();
        int peer = freePort();
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("--data-dir", dir.resolve(name).toString(),
                "--listen-client-urls", "http://127.0.0.1:" + port, "--advertise-client-urls", "http://127.0.0.1:" + port,
                "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "default=http://127.0.0.1:" + peer));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return new Server(name, p, port);
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            LockSupport.parkNanos(100_000_000L);
        }
        p.destroyForcibly();
        throw new AssertionError(name + " did not become healthy; log: " + Files.readString(dir.resolve(name + ".log")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ProcessBuilder etcdctl(Server s, String... args) {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", s.endpoint()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("ETCDCTL_API", "3");
        return pb;
    }

    /** Runs etcdctl to completion (etcdctl exits by itself for every command used here). */
    private static Result run(Server s, String... args) throws Exception {
        Process p = etcdctl(s, args).start();
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        List<String> err = Collections.synchronizedList(new ArrayList<>());
        Thread to = pump(p.getInputStream(), out);
        Thread te = pump(p.getErrorStream(), err);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "etcdctl " + String.join(" ", args) + " did not finish");
        to.join();
        te.join();
        return new Result(p.exitValue(), List.copyOf(out), List.copyOf(err));
    }

    private static Thread pump(java.io.InputStream in, List<String> into) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    into.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** A running {@code etcdctl watch}: its output lines as they come. */
    static final class RunningWatch implements AutoCloseable {
        final Process process;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        RunningWatch(Server s, String... args) throws IOException {
            process = etcdctl(s, args).redirectErrorStream(true).start();
            pump(process.getInputStream(), lines);
        }

        List<String> awaitLines(int n) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (lines.size() < n && System.nanoTime() < deadline) {
                LockSupport.parkNanos(20_000_000L);
            }
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The same history, a prefix watch replaying it with prev kvs, then live events. */
    private static List<String> prefixWatchSession(Server s) throws Exception {
        run(s, "put", "/e2e/a", "1");
        run(s, "put", "/e2e/b", "2");
        run(s, "put", "/other", "x");
        run(s, "put", "/e2e/a", "3");
        run(s, "del", "/e2e/b");
        try (RunningWatch w = new RunningWatch(s, "watch", "--prefix", "/e2e/", "--rev", "2", "--prev-kv")) {
            List<String> history = w.awaitLines(16); // PUT a 1, PUT b 2, PUT a 3 (prev 1), DELETE b (prev 2)
            assertEquals(16, history.size(), () -> s.name + " printed " + history);
            run(s, "put", "/e2e/c", "4");
            run(s, "put", "/e2e/c", "5");
            run(s, "del", "/e2e/a");
            // PUT c 4 (a creation: no prev), PUT c 5 (prev 4), DELETE a (prev 3)
            List<String> all = w.awaitLines(16 + 3 + 5 + 5);
            assertEquals(29, all.size(), () -> s.name + " printed " + all);
            return all;
        }
    }

    @Test
    void aPrefixWatchFromARevisionWithPrevKvPrintsWhatEtcdPrints() throws Exception {
        List<String> fromKetch = prefixWatchSession(ketch);
        List<String> fromEtcd = prefixWatchSession(etcd);
        assertEquals(fromEtcd, fromKetch);
        assertEquals(List.of("PUT", "/e2e/a", "1", "PUT", "/e2e/b", "2"), fromKetch.subList(0, 6));
    }

    @Test
    void aCompactedRevisionAndAnEmptyRangeEndTheWatchAsInEtcd() throws Exception {
        for (Server s : new Server[] {ketch, etcd}) {
            run(s, "put", "/cmp/k", "1");
            run(s, "put", "/cmp/k", "2");
            long rev = Long.parseLong(run(s, "put", "/cmp/k", "3", "-w", "fields").stdout().stream()
                    .filter(l -> l.startsWith("\"Revision\"")).findFirst().orElseThrow().replaceAll("\\D", ""));
            run(s, "compact", Long.toString(rev - 1));
        }
        Result k = run(ketch, "watch", "--rev", "1", "/cmp/k");
        Result e = run(etcd, "watch", "--rev", "1", "/cmp/k");
        assertEquals(e, k);
        assertEquals(5, k.exitCode());
        assertTrue(k.stderr().contains("watch was canceled (etcdserver: mvcc: required revision has been compacted)"),
                k.stderr().toString());

        Result emptyK = run(ketch, "watch", "/b", "/a");
        Result emptyE = run(etcd, "watch", "/b", "/a");
        assertEquals(emptyE, emptyK);
        assertTrue(emptyK.stderr().contains("watch was canceled (mvcc: watcher range is empty)"), emptyK.toString());
        // nothing changed and the server still serves
        assertEquals(List.of("/cmp/k", "3"), run(ketch, "get", "/cmp/k").stdout());
    }
}
