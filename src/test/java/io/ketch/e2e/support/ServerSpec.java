package io.ketch.e2e.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to start a server: member name, whether to pass bootstrap flags, extra flags, ETCD_* env,
 * JVM options (Ketch only) and what counts as started.
 */
public final class ServerSpec {
    String name = "node1";
    boolean bootstrapFlags = true;
    Path dataDir;
    final List<String> extraArgs = new ArrayList<>();
    final Map<String, String> env = new LinkedHashMap<>();
    final List<String> jvmArgs = new ArrayList<>();
    final List<String> healthExcludedAlarms = new ArrayList<>();
    Duration healthyWithin = Await.DEFAULT_TIMEOUT;
    /** The --initial-cluster value; null: this member alone. */
    String initialCluster;

    public static ServerSpec defaults() {
        return new ServerSpec();
    }

    /** Member name passed with --name; null passes no --name flag. */
    public ServerSpec name(String name) {
        this.name = name;
        return this;
    }

    /**
     * Whether to pass --initial-advertise-peer-urls and --initial-cluster for the chosen peer port.
     * Without them the server uses etcd's defaults (http://localhost:2380, "default=..."), which
     * determine etcd's well-known default member ID; --listen-peer-urls is always passed so that
     * nothing binds port 2380.
     */
    public ServerSpec bootstrapFlags(boolean pass) {
        this.bootstrapFlags = pass;
        return this;
    }

    /** --initial-cluster for a member of a multi-member cluster (with bootstrap flags on). */
    public ServerSpec initialCluster(String value) {
        this.initialCluster = value;
        return this;
    }

    public ServerSpec dataDir(Path dir) {
        this.dataDir = dir;
        return this;
    }

    public ServerSpec arg(String... args) {
        extraArgs.addAll(List.of(args));
        return this;
    }

    public ServerSpec env(String key, String value) {
        env.put(key, value);
        return this;
    }

    /** JVM options for Ketch, placed before {@code ketch.e2e.jvmArgs}; the real etcd has no JVM and ignores them. */
    public ServerSpec jvmArg(String... args) {
        jvmArgs.addAll(List.of(args));
        return this;
    }

    /** How long {@link ServerProcess#start()} waits for the server to report healthy. */
    public ServerSpec healthyWithin(Duration timeout) {
        this.healthyWithin = timeout;
        return this;
    }

    /**
     * An alarm (etcd's name, e.g. "NOSPACE") that does not count against health while waiting for
     * the server to start: /health is asked with {@code ?exclude=ALARM}, which etcd 3.4 and Ketch
     * both honour, because a member with that alarm raised still serves.
     */
    public ServerSpec healthDespite(String alarm) {
        healthExcludedAlarms.add(alarm);
        return this;
    }
}
