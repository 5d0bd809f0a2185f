package io.ketch.watche2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.KetchProcess;
import io.ketch.e2e.support.RunningCommand;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code etcdctl watch} against a packaged Ketch and a real etcd 3.4, started as processes
 * side by side: the same commands must print the same lines and exit the same way.
 * Run with {@code -DskipITs=false} (needs {@code etcd} and {@code etcdctl} on the PATH).
 */
class EtcdctlWatchIT {
    /** How long a running watch is given to print the lines a step expects. */
    private static final Duration LINES_WITHIN = Duration.ofSeconds(20);
    static ServerProcess ketch;
    static ServerProcess etcd;

    /** What a finished etcdctl printed, line by line, and its exit code. */
    record Result(int exitCode, List<String> stdout, List<String> stderr) {
        static Result of(CommandResult r) {
            return new Result(r.exitCode(), r.stdout().lines().toList(), r.stderr().lines().toList());
        }
    }

    @BeforeAll
    static void start() {
        // no --name ("default"), bootstrap flags for each server's own peer port
        ServerSpec spec = ServerSpec.defaults().name(null).healthyWithin(Duration.ofSeconds(60));
        ketch = new KetchProcess(spec);
        ketch.start();
        etcd = Servers.etcd(spec);
        etcd.start();
    }

    @AfterAll
    static void stop() {
        for (ServerProcess s : new ServerProcess[] {ketch, etcd}) {
            if (s != null) {
                s.close();
            }
        }
    }

    /** Runs etcdctl to completion (it exits by itself for every command used here; one that hangs fails the test). */
    private static Result run(ServerProcess s, String... args) {
        return Result.of(Etcdctl.of(s).completed(args));
    }

    /** The same history, a prefix watch replaying it with prev kvs, then live events. */
    private static List<String> prefixWatchSession(ServerProcess s) {
        run(s, "put", "/e2e/a", "1");
        run(s, "put", "/e2e/b", "2");
        run(s, "put", "/other", "x");
        run(s, "put", "/e2e/a", "3");
        run(s, "del", "/e2e/b");
        try (RunningCommand w = Etcdctl.of(s).start("watch", "--prefix", "/e2e/", "--rev", "2", "--prev-kv")) {
            // PUT a 1, PUT b 2, PUT a 3 (prev 1), DELETE b (prev 2)
            List<String> history = w.awaitLines(16, LINES_WITHIN);
            assertEquals(16, history.size(), () -> s.kind() + " printed " + history);
            run(s, "put", "/e2e/c", "4");
            run(s, "put", "/e2e/c", "5");
            run(s, "del", "/e2e/a");
            // PUT c 4 (a creation: no prev), PUT c 5 (prev 4), DELETE a (prev 3)
            List<String> all = w.awaitLines(16 + 3 + 5 + 5, LINES_WITHIN);
            assertEquals(29, all.size(), () -> s.kind() + " printed " + all);
            return all;
        }
    }

    @Test
    void aPrefixWatchFromARevisionWithPrevKvPrintsWhatEtcdPrints() {
        List<String> fromKetch = prefixWatchSession(ketch);
        List<String> fromEtcd = prefixWatchSession(etcd);
        assertEquals(fromEtcd, fromKetch);
        assertEquals(List.of("PUT", "/e2e/a", "1", "PUT", "/e2e/b", "2"), fromKetch.subList(0, 6));
    }

    @Test
    void aCompactedRevisionAndAnEmptyRangeEndTheWatchAsInEtcd() {
        for (ServerProcess s : new ServerProcess[] {ketch, etcd}) {
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
