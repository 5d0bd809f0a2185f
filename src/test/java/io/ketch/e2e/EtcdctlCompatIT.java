package io.ketch.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import io.ketch.e2e.support.Await;
import io.ketch.e2e.support.CommandResult;
import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.OutputNormalizer;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test: every scenario runs the same etcdctl commands against a fresh real etcd and a
 * fresh server under test (Ketch, or etcd again with -Dketch.e2e.target=etcd) and requires equal
 * stdout, stderr and exit code for every command after {@link OutputNormalizer} has replaced what
 * legitimately differs (IDs, raft term/index, version string, DB size, URLs, timestamps).
 *
 * <p>All differences of a scenario are collected and reported together; a transcript of each
 * run is written to {@code ketch.e2e.reportDir} (default: java.io.tmpdir/ketch-e2e-reports).
 */
class EtcdctlCompatIT {

    // ---------------------------------------------------------------- scenarios

    static Stream<Scenario> scenarios() {
        return Stream.of(
                getRangeOptions(),
                putOptions(),
                delete(),
                txn(),
                compaction(),
                revisions(),
                clusterInfo(),
                hashKv(),
                errors());
    }

    /** A small data set in which KEY, CREATE, MODIFY, VALUE and VERSION orders all differ. */
    private static List<Step> dataSet() {
        return List.of(
                cmd("put a 5"), // rev 2
                cmd("put b 3"), // rev 3
                cmd("put c 9"), // rev 4
                cmd("put foo f1"), // rev 5
                cmd("put foo/x 1"), // rev 6
                cmd("put foo/y 2"), // rev 7
                cmd("put b 4"), // rev 8, b version 2
                cmd("put a 0"), // rev 9, a version 2
                cmd("put a 7"), // rev 10, a version 3
                cmd("put zoo z")); // rev 11
    }

    static Scenario getRangeOptions() {
        List<Step> s = new ArrayList<>(dataSet());
        s.addAll(List.of(
                cmd("get a"),
                cmd("get a -w json"),
                cmd("get a -w fields"),
                cmd("get missing"),
                cmd("get missing -w json"),
                cmd("get foo --prefix"),
                cmd("get foo --prefix -w json"),
                cmd("get foo --prefix --limit 2 -w json"),
                cmd("get '' --prefix --limit 3"),
                cmd("get b --from-key"),
                cmd("get b --from-key --limit 2 -w json"),
                cmd("get '' --from-key --keys-only"),
                cmd("get a d"),
                cmd("get a d -w json"),
                cmd("get '' --prefix --sort-by=KEY --order=ASCEND"),
                cmd("get '' --prefix --sort-by=KEY --order=DESCEND"),
                cmd("get '' --prefix --sort-by=CREATE --order=ASCEND"),
                cmd("get '' --prefix --sort-by=CREATE --order=DESCEND"),
                cmd("get '' --prefix --sort-by=MODIFY --order=ASCEND"),
                cmd("get '' --prefix --sort-by=MODIFY --order=DESCEND"),
                cmd("get '' --prefix --sort-by=VALUE --order=ASCEND"),
                cmd("get '' --prefix --sort-by=VALUE --order=DESCEND -w json"),
                cmd("get '' --prefix --sort-by=VERSION --order=DESCEND"),
                cmd("get '' --prefix --sort-by=VERSION --order=ASCEND --keys-only"),
                cmd("get '' --prefix --order=DESCEND --limit 3"),
                cmd("get '' --prefix --sort-by=MODIFY --order=DESCEND --limit 2 -w json"),
                cmd("get '' --prefix --sort-by=VALUE --limit 2 -w json"),
                cmd("get '' --prefix --keys-only"),
                cmd("get '' --prefix --keys-only -w json"),
                cmd("get '' --prefix --print-value-only"),
                cmd("get a --print-value-only"),
                // etcdctl 3.4 has no --count-only (3.5+): both sides must give the same usage error
                cmd("get '' --prefix --count-only"),
                cmd("get '' --prefix --count-only -w json"),
                cmd("get a --rev 2"),
                cmd("get a --rev 9 -w json"),
                cmd("get '' --prefix --rev 5 -w json"),
                cmd("get b --rev 4"),
                cmd("get '' --prefix --rev 1 -w json"),
                cmd("get foo --prefix --rev 6 --sort-by=KEY --order=DESCEND -w json"),
                cmd("get '' --prefix -w fields"),
                cmd("get a --consistency=s -w json"),
                cmd("get foo --prefix --hex")));
        return new Scenario("get-range-options", s);
    }

    static Scenario putOptions() {
        return new Scenario("put-options", List.of(
                cmd("put k v1"),
                cmd("put k v2 --prev-kv"),
                cmd("put k v3 --prev-kv -w json"),
                cmd("put fresh x --prev-kv"),
                cmd("put fresh2 x --prev-kv -w json"),
                cmd("put k --ignore-value"),
                cmd("get k -w json"),
                cmd("put k --ignore-value --prev-kv -w json"),
                cmd("put nokey --ignore-value"),
                cmd("put k v4 --ignore-value"),
                cmd("put --lease=1234 k v"),
                cmd("put k v5 --lease=1234 -w json"),
                cmd("get k -w json"),
                cmd("put '' v"),
                cmd("put k"),
                cmd("put 'key with space' 'value with space'"),
                cmd("get 'key with space' -w json"),
                cmd("put empty ''"),
                cmd("get empty -w json"),
                cmd("put k v6 -w json"),
                cmd("get '' --prefix -w json")));
    }

    static Scenario delete() {
        return new Scenario("delete", List.of(
                cmd("put a 1"),
                cmd("put b 2"),
                cmd("put c 3"),
                cmd("put foo/1 x"),
                cmd("put foo/2 y"),
                cmd("put foo/3 z"),
                cmd("put zz 9"),
                cmd("del missing"),
                cmd("del missing -w json"),
                cmd("del a"),
                cmd("del a"),
                cmd("del foo --prefix"),
                cmd("del foo --prefix"),
                cmd("del b --prev-kv"),
                cmd("del c --prev-kv -w json"),
                cmd("put x1 1"),
                cmd("put x2 2"),
                cmd("del x --from-key"),
                cmd("get '' --prefix -w json"),
                cmd("put m1 1"),
                cmd("put m2 2"),
                cmd("put m3 3"),
                cmd("del m1 m3 --prev-kv"),
                cmd("del m --from-key --prev-kv -w json"),
                cmd("put p1 1"),
                cmd("put p2 2"),
                cmd("del '' --prefix --prev-kv -w json"),
                cmd("get '' --prefix -w json")));
    }

    static Scenario txn() {
        return new Scenario("txn", List.of(
                cmd("put a 1"),
                cmd("put b 2"),
                txnCmd("txn -w json", List.of("value(\"a\") = \"1\""), List.of("put a 10", "get b"), List.of("put x fail")),
                txnCmd("txn", List.of("value(\"a\") = \"nope\""), List.of("put a 11"), List.of("put fail yes", "get a")),
                txnCmd("txn -w json", List.of("value(\"a\") = \"nope\""), List.of("put a 11"), List.of("put fail2 yes", "get a")),
                txnCmd("txn -w json", List.of("ver(\"a\") = \"2\"", "c(\"a\") = \"2\"", "mod(\"a\") > \"3\""),
                        List.of("get a --prefix", "del b --prev-kv", "get \"a\" \"c\""), List.of("put d 1")),
                txnCmd("txn -w json", List.of("version(\"a\") > \"5\""), List.of("put never 1"), List.of("get a --prefix --keys-only")),
                txnCmd("txn", List.of("create(\"missing\") = \"0\""), List.of("put created 1"), List.of()),
                txnCmd("txn", List.of("mod(\"a\") < \"2\""), List.of(), List.of("put mfail 1")),
                txnCmd("txn -w json", List.of("value(\"a\") != \"x\"", "value(\"created\") = \"1\""), List.of("put both 1", "del fail"),
                        List.of()),
                txnCmd("txn -w json", List.of("value(\"a\") > \"2\""), List.of("put gt yes"), List.of("put gt no")),
                txnCmd("txn -w json", List.of("value(\"missing\") = \"\""), List.of("put vmiss yes"), List.of("put vmiss no")),
                txnCmd("txn --interactive=false", List.of("value(\"a\") = \"10\""), List.of("put ni 1", "get ni"), List.of("put ni 0")),
                txnCmd("txn --interactive=false -w json", List.of(), List.of("put ni 2 --prev-kv"), List.of()),
                txnCmd("txn -w json", List.of(), List.of(), List.of()),
                txnCmd("txn -w json", List.of(), List.of("get a"), List.of()),
                txnCmd("txn", List.of("value(\"a\") = \"10\""), List.of("put d 1"), List.of("put d 2")),
                txnCmd("txn", List.of(), List.of("put withlease v --lease=1234"), List.of()),
                txnCmd("txn -w fields", List.of("value(\"a\") = \"10\""), List.of("put f 1", "get f"), List.of()),
                cmd("get '' --prefix -w json")));
    }

    static Scenario compaction() {
        return new Scenario("compaction", List.of(
                cmd("put k v1"), // rev 2
                cmd("put k v2"), // rev 3
                cmd("put k v3"), // rev 4
                cmd("put j 1"), // rev 5
                cmd("del j"), // rev 6
                cmd("put k v4"), // rev 7
                cmd("get k --rev 3"),
                cmd("compaction 4"),
                cmd("get k --rev 3"),
                cmd("get k --rev 4"),
                cmd("get k --rev 4 -w json"),
                cmd("get k --rev 100"),
                cmd("get k --rev 8"),
                cmd("get k --rev 7 -w json"),
                cmd("compaction 3"),
                cmd("compaction 4"),
                cmd("compaction 100"),
                cmd("compaction --physical 6"),
                cmd("get '' --prefix --rev 5"),
                cmd("get '' --prefix --rev 6 -w json"),
                cmd("get '' --prefix -w json"),
                cmd("endpoint hashkv -w json"),
                cmd("endpoint hashkv --rev 7 -w json"),
                cmd("endpoint hashkv --rev 5 -w json"),
                cmd("put k v5"),
                cmd("get k -w json"),
                cmd("compaction 8"),
                cmd("get k --rev 7"),
                cmd("endpoint hashkv -w json")));
    }

    static Scenario revisions() {
        return new Scenario("revisions", List.of(
                cmd("get a -w json"),
                cmd("put a 1"), // 2
                cmd("put a 2"), // 3
                cmd("del a"), // 4
                cmd("get a -w json"),
                cmd("put a 3"), // 5: new generation, create_revision 5, version 1
                cmd("put a 4"), // 6
                cmd("get a -w json"),
                cmd("get a --rev 3 -w json"),
                cmd("get a --rev 4 -w json"),
                cmd("get a --rev 5 -w json"),
                cmd("put b 1"), // 7
                cmd("del a c"), // 8: one revision for a multi-key delete
                cmd("get '' --prefix -w json"),
                cmd("put a 5"), // 9
                cmd("get a -w json"),
                cmd("del missing"), // no revision
                cmd("get a -w json"),
                txnCmd("txn -w json", List.of(), List.of("get a"), List.of()), // read-only: no revision
                txnCmd("txn -w json", List.of(), List.of("put a 6", "put b 2", "del nothing"), List.of()), // 10
                cmd("get '' --prefix -w json"),
                cmd("put a 6 -w json"), // same value: still a new revision
                cmd("get a -w json"),
                cmd("get a --rev 10 -w json"),
                cmd("get '' --prefix --rev 9 -w json")));
    }

    static Scenario clusterInfo() {
        return new Scenario("cluster-info", List.of(
                cmd("member list -w table"),
                cmd("member list -w json"),
                cmd("endpoint status -w json"),
                cmd("endpoint status -w table"),
                cmd("endpoint health"),
                cmd("endpoint hashkv -w json"),
                cmd("put a 1"),
                cmd("put b 2"),
                cmd("endpoint status -w json"),
                cmd("endpoint status -w table"),
                cmd("endpoint health -w json"),
                cmd("endpoint hashkv -w json"),
                cmd("member list -w table"),
                cmd("member list -w json")));
    }

    static Scenario hashKv() {
        List<Step> s = new ArrayList<>();
        s.add(cmd("endpoint hashkv -w json"));
        s.add(cmd("put a 1"));
        s.add(cmd("endpoint hashkv -w json"));
        s.add(cmd("put b 2"));
        s.add(cmd("put a 3"));
        s.add(cmd("put 'a long key/with/slashes' 'and a somewhat longer value than the others'"));
        s.add(cmd("endpoint hashkv -w json"));
        s.add(cmd("del b"));
        s.add(cmd("endpoint hashkv -w json"));
        s.add(txnCmd("txn", List.of(), List.of("put t1 1", "put t2 2", "del a"), List.of()));
        s.add(cmd("endpoint hashkv -w json"));
        s.add(cmd("endpoint hashkv --rev 3 -w json"));
        s.add(cmd("endpoint hashkv --rev 5 -w json"));
        s.add(cmd("compaction 5"));
        s.add(cmd("endpoint hashkv -w json"));
        s.add(cmd("endpoint hashkv --rev 6 -w json"));
        s.add(cmd("put b 4"));
        s.add(cmd("compaction --physical 8"));
        s.add(cmd("endpoint hashkv -w json"));
        return new Scenario("hashkv", s);
    }

    static Scenario errors() {
        byte[] big = new byte[1_700_000]; // > 1.5 MiB (1,572,864 bytes), < the 2 MiB gRPC receive limit
        Arrays.fill(big, (byte) 'x');
        List<String> puts129 = IntStream.rangeClosed(1, 129).mapToObj(i -> "put k" + i + " v").toList();
        List<String> puts128 = IntStream.rangeClosed(1, 128).mapToObj(i -> "put k" + i + " v").toList();
        return new Scenario("errors", List.of(
                cmd("put before 1"),
                new Step(split("put big"), big, "<1,700,000 bytes of 'x'>"),
                cmd("get big -w json"),
                txnCmd("txn", List.of(), puts129, List.of()),
                cmd("get k1 -w json"),
                txnCmd("txn", List.of(), List.of(), puts129),
                txnCmd("txn", List.of(), puts128, List.of()),
                cmd("get k --prefix --count-only"),
                cmd("get k128 -w json"),
                txnCmd("txn", List.of(), List.of("put d 1", "put d 2"), List.of()),
                txnCmd("txn", List.of(), List.of("put d 1", "del d"), List.of()),
                txnCmd("txn", List.of(), List.of("del a z", "put b 1"), List.of()),
                txnCmd("txn -w json", List.of("value(\"before\") = \"1\""), List.of("put d 1"), List.of("put d 2")),
                cmd("get d -w json"),
                cmd("get d --rev 1000"),
                cmd("put --lease=1234 k v"),
                cmd("get a --sort-by=FOO"),
                cmd("compaction 0"),
                cmd("get '' --prefix --keys-only -w json --limit 3")));
    }

    // ---------------------------------------------------------------- the test

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void etcdctlOutputMatchesEtcd(Scenario scenario) throws IOException {
        try (ServerProcess reference = Servers.etcd(ServerSpec.defaults());
                ServerProcess candidate = Servers.candidate(ServerSpec.defaults())) {
            reference.launch();
            candidate.launch();
            reference.awaitHealthy(Await.DEFAULT_TIMEOUT);
            candidate.awaitHealthy(Await.DEFAULT_TIMEOUT);

            Etcdctl refCtl = Etcdctl.of(reference);
            Etcdctl candCtl = Etcdctl.of(candidate);
            OutputNormalizer refNorm = new OutputNormalizer(reference);
            OutputNormalizer candNorm = new OutputNormalizer(candidate);

            StringBuilder transcript = new StringBuilder();
            List<String> differences = new ArrayList<>();
            int n = 0;
            for (Step step : scenario.steps()) {
                n++;
                CommandResult ref = refCtl.run(step.args(), step.stdin());
                CommandResult cand = candCtl.run(step.args(), step.stdin());
                String refOut = render(ref, refNorm);
                String candOut = render(cand, candNorm);
                transcript.append("### step ").append(n).append(": ").append(step.display()).append('\n')
                        .append("--- ").append(reference.kind()).append(" ---\n").append(refOut).append('\n')
                        .append("--- ").append(candidate.kind()).append(" ---\n").append(candOut).append('\n');
                if (!refOut.equals(candOut)) {
                    differences.add("step " + n + ": " + step.display() + "\n"
                            + indent("etcd  (normalized): ", refOut) + "\n"
                            + indent(candidate.kind() + " (normalized): ", candOut));
                }
            }
            writeTranscript(scenario, candidate.kind(), transcript.toString());
            if (!differences.isEmpty()) {
                fail("scenario " + scenario.name() + ": " + differences.size() + " of " + scenario.steps().size()
                        + " etcdctl commands differ between etcd and " + candidate.kind() + " (" + candidate + ")\n\n"
                        + String.join("\n\n", differences));
            }
        }
    }

    private static String render(CommandResult r, OutputNormalizer norm) {
        return "exit=" + r.exitCode() + (r.timedOut() ? " TIMED OUT" : "")
                + "\nstdout:\n" + norm.normalize(r.stdout())
                + "\nstderr:\n" + norm.normalize(r.stderr());
    }

    private static String indent(String label, String text) {
        return label + "\n" + text.lines().map(l -> "    | " + l).collect(Collectors.joining("\n"));
    }

    private static void writeTranscript(Scenario scenario, String kind, String text) throws IOException {
        Path dir = Path.of(System.getProperty("ketch.e2e.reportDir",
                Path.of(System.getProperty("java.io.tmpdir"), "ketch-e2e-reports").toString()));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("etcdctl-" + scenario.name() + "-etcd-vs-" + kind + ".txt"), text, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- the little DSL

    /** One etcdctl invocation (arguments after --endpoints) with optional stdin. */
    record Step(List<String> args, byte[] stdin, String stdinLabel) {
        String display() {
            return "etcdctl " + args.stream().map(EtcdctlCompatIT::quote).collect(Collectors.joining(" "))
                    + (stdin == null ? "" : " < " + stdinLabel);
        }
    }

    record Scenario(String name, List<Step> steps) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A command line; single quotes group words and '' is an empty argument. */
    static Step cmd(String line) {
        return new Step(split(line), null, null);
    }

    /** etcdctl txn fed through stdin: compares, blank line, success ops, blank line, failure ops, blank line. */
    static Step txnCmd(String line, List<String> compares, List<String> success, List<String> failure) {
        StringBuilder in = new StringBuilder();
        for (List<String> section : List.of(compares, success, failure)) {
            section.forEach(l -> in.append(l).append('\n'));
            in.append('\n');
        }
        String text = in.toString();
        String label = text.length() > 300
                ? "<txn: " + compares.size() + " compares, " + success.size() + " success ops, " + failure.size() + " failure ops>"
                : "<<'EOF'\n" + text + "EOF";
        return new Step(split(line), text.getBytes(StandardCharsets.UTF_8), label);
    }

    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        boolean quoted = false;
        for (char ch : line.toCharArray()) {
            if (ch == '\'') {
                quoted = !quoted;
                if (cur == null) {
                    cur = new StringBuilder();
                }
            } else if (ch == ' ' && !quoted) {
                if (cur != null) {
                    out.add(cur.toString());
                    cur = null;
                }
            } else {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(ch);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced quote in: " + line);
        }
        if (cur != null) {
            out.add(cur.toString());
        }
        return out;
    }

    static String quote(String arg) {
        return arg.isEmpty() || arg.contains(" ") || arg.contains("\"") ? "'" + arg + "'" : arg;
    }
}
