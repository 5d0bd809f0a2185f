package io.ketch.e2e.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * N members of one cluster (Ketch, or etcd with {@code -Dketch.e2e.target=etcd}) as separate
 * processes on loopback, each with its own free client and peer ports, bootstrapped with
 * etcd's flags: {@code --initial-cluster m1=...,m2=...,m3=...}, a shared cluster token.
 */
public final class LocalCluster implements AutoCloseable {
    private final List<ServerProcess> members = new ArrayList<>();
    /** Members taken out of the cluster: stopped, closed with it. */
    private final List<ServerProcess> retired = new ArrayList<>();

    private LocalCluster() {
    }

    /**
     * @param specs the spec of member i (0-based); its name is set to "m{i+1}" and its bootstrap
     *              flags to the whole cluster
     */
    public static LocalCluster of(int size, String token, IntFunction<ServerSpec> specs) {
        LocalCluster c = new LocalCluster();
        List<ServerSpec> list = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ServerSpec s = specs.apply(i).name("m" + (i + 1)).arg("--initial-cluster-token", token);
            list.add(s);
            c.members.add(Servers.candidate(s));
        }
        String initial = c.members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
        list.forEach(s -> s.initialCluster(initial));
        return c;
    }

    public static LocalCluster of(int size) {
        return of(size, "ketch-e2e", i -> ServerSpec.defaults());
    }

    /** Launches every member, then waits until each reports healthy (which needs a leader). */
    public LocalCluster start() {
        members.forEach(ServerProcess::launch);
        for (ServerProcess m : members) {
            m.awaitHealthy(Duration.ofSeconds(60));
        }
        return this;
    }

    public List<ServerProcess> members() {
        return members;
    }

    public ServerProcess member(int i) {
        return members.get(i);
    }

    /** Adds a member started separately (e.g. one that joins with --initial-cluster-state existing). */
    public void add(ServerProcess m) {
        members.add(m);
    }

    /** Takes a member out of the list (removed, or replaced); it is closed with the cluster. */
    public void retire(ServerProcess m) {
        members.remove(m);
        retired.add(m);
    }

    /** host:port of every member, comma-separated (etcdctl's --endpoints). */
    public String endpoints() {
        return members.stream().map(ServerProcess::endpoint).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        List<ServerProcess> all = new ArrayList<>(members);
        all.addAll(retired);
        for (ServerProcess m : all) {
            try {
                m.close();
            } catch (RuntimeException e) {
                System.err.println("closing " + m + ": " + e);
            }
        }
    }
}
