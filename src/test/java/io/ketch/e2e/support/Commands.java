package io.ketch.e2e.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short-lived command with optional stdin, capturing stdout, stderr and exit code, with a
 * timeout; or starts one that keeps running while its output is read. Either way the child gets
 * no ETCD_* or ETCDCTL_* variable from the test JVM, only those passed.
 */
public final class Commands {
    private Commands() {
    }

    public static CommandResult run(List<String> command, Map<String, String> env, byte[] stdin, Duration timeout) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("ketch-e2e-cmd-");
            Path in = tmp.resolve("stdin");
            Path out = tmp.resolve("stdout");
            Path err = tmp.resolve("stderr");
            Files.write(in, stdin == null ? new byte[0] : stdin);
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectInput(in.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            environment(pb, env);
            Process process = pb.start();
            boolean finished;
            try {
                finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + command, e);
            }
            if (!finished) {
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new CommandResult(command,
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8),
                    finished ? process.exitValue() : -1,
                    !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } finally {
            if (tmp != null) {
                Files2.deleteRecursively(tmp);
            }
        }
    }

    /** Starts a command that keeps running, stdin empty, its stdout and stderr read line by line as they come. */
    public static RunningCommand start(List<String> command, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        environment(pb, env);
        try {
            return new RunningCommand(command, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /**
     * SIGTERM, then SIGKILL if the process has not exited within {@code grace} (waiting as long
     * again for it to go); an interrupt kills it at once. A process that already exited is left as it is.
     */
    static void terminate(Process process, Duration grace) {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The test JVM's environment without ETCD_* and ETCDCTL_* (which etcd and etcdctl would read), plus {@code env}. */
    static void environment(ProcessBuilder pb, Map<String, String> env) {
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_") || k.startsWith("ETCDCTL_"));
        pb.environment().putAll(env);
    }
}
