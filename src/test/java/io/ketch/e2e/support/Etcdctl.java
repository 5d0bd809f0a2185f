package io.ketch.e2e.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the real etcdctl (API v3) against one endpoint, optionally with global flags (such as
 * {@code --command-timeout}) before every command's arguments. Instances are immutable: the
 * {@code with...} methods return a new one.
 */
public final class Etcdctl {
    public static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final String endpoint;
    private final List<String> flags;
    private final Duration timeout;

    public Etcdctl(String endpoint) {
        this(endpoint, List.of(), TIMEOUT);
    }

    private Etcdctl(String endpoint, List<String> flags, Duration timeout) {
        this.endpoint = endpoint;
        this.flags = List.copyOf(flags);
        this.timeout = timeout;
    }

    public static Etcdctl of(ServerProcess server) {
        return new Etcdctl(server.endpoint());
    }

    public String endpoint() {
        return endpoint;
    }

    /** The same etcdctl with {@code more} global flags, passed after --endpoints and before each command's arguments. */
    public Etcdctl withFlags(String... more) {
        List<String> all = new ArrayList<>(flags);
        all.addAll(List.of(more));
        return new Etcdctl(endpoint, all, timeout);
    }

    /** The same etcdctl, letting each command run this long (30 s by default) before it is killed as timed out. */
    public Etcdctl withTimeout(Duration perCommand) {
        return new Etcdctl(endpoint, flags, perCommand);
    }

    private List<String> command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add("etcdctl");
        command.add("--endpoints");
        command.add(endpoint);
        command.addAll(flags);
        command.addAll(args);
        return command;
    }

    private static Map<String, String> env() {
        return Map.of("ETCDCTL_API", "3");
    }

    public CommandResult run(String... args) {
        return run(List.of(args), null);
    }

    public CommandResult run(List<String> args, byte[] stdin) {
        return Commands.run(command(args), env(), stdin, timeout);
    }

    /** Runs and fails the test (with the full output) unless the command exits 0. */
    public CommandResult ok(String... args) {
        CommandResult result = run(args);
        if (!result.ok()) {
            throw new AssertionError("etcdctl command failed:\n" + result.describe());
        }
        return result;
    }

    /** Runs and returns the result whatever the exit code, but fails the test if the command did not finish in time. */
    public CommandResult completed(String... args) {
        return completed(List.of(args), null);
    }

    /** {@link #completed(String...)} with {@code stdin} as the command's input. */
    public CommandResult completed(List<String> args, byte[] stdin) {
        CommandResult result = run(args, stdin);
        if (result.timedOut()) {
            throw new AssertionError("etcdctl command did not finish within " + timeout.toSeconds() + " s:\n"
                    + result.describe());
        }
        return result;
    }

    /** Starts a command that keeps running (such as watch); read its output with {@link RunningCommand#awaitLines}. */
    public RunningCommand start(String... args) {
        return Commands.start(command(List.of(args)), env());
    }
}
