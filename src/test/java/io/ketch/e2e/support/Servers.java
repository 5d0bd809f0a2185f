package io.ketch.e2e.support;

import java.util.List;

/**
 * Chooses the server under test. By default that is Ketch; {@code -Dketch.e2e.target=etcd} runs
 * the same suites against the real etcd instead, which is how the harness itself is validated
 * (etcd against etcd must compare equal).
 */
public final class Servers {
    private Servers() {
    }

    public static String target() {
        String t = System.getProperty("ketch.e2e.target", "ketch");
        if (!t.equals("ketch") && !t.equals("etcd")) {
            throw new IllegalArgumentException("ketch.e2e.target must be ketch or etcd, not " + t);
        }
        return t;
    }

    public static boolean targetIsKetch() {
        return target().equals("ketch");
    }

    public static ServerProcess candidate(ServerSpec spec) {
        return targetIsKetch() ? new KetchProcess(spec) : new EtcdProcess(spec);
    }

    public static ServerProcess etcd(ServerSpec spec) {
        return new EtcdProcess(spec);
    }

    /** The command line that starts the server under test, before any etcd flag. */
    public static List<String> candidateExecutable() {
        return targetIsKetch() ? KetchProcess.executable() : EtcdProcess.executable();
    }
}
