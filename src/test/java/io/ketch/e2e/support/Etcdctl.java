package io.ketch.e2e.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the real etcdctl (API v3) against one endpoint. */
public final class Etcdctl {
    public static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final String endpoint;

    public Etcdctl(String endpoint) {
        this.endpoint = endpoint;
    }

    public static Etcdctl of(ServerProcess server) {
        return new Etcdctl(server.endpoint());
    }

    public String endpoint() {
        return endpoint;
    }

    public CommandResult run(String... args) {
        return run(List.of(args), null);
    }

    public CommandResult run(List<String> args, byte[] stdin) {
        List<String> command = new ArrayList<>();
        command.add("etcdctl");
        command.add("--endpoints");
        command.add(endpoint);
        command.addAll(args);
        return Commands.run(command, Map.of("ETCDCTL_API", "3"), stdin, TIMEOUT);
    }

    /** Runs and fails the test (with the full output) unless the command exits 0. */
    public CommandResult ok(String... args) {
        CommandResult result = run(args);
        if (!result.ok()) {
            throw new AssertionError("etcdctl command failed:\n" + result.describe());
        }
        return result;
    }
}
