package io.ketch.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Process handling shared by {@link EtcdProcess} and {@link KetchProcess}. */
abstract class AbstractServerProcess implements ServerProcess {
    /** Every process still running, so a JVM that dies mid-test does not leave servers behind. */
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "e2e-reaper"));
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    protected final ServerSpec spec;
    private final int clientPort = Ports.freePort();
    private final int peerPort = Ports.freePort();
    private final Path root;
    private final Path dataDir;
    private final Path logFile;
    private Process process;
    private int starts;

    AbstractServerProcess(ServerSpec spec) {
        this.spec = spec;
        try {
            this.root = Files.createTempDirectory("ketch-e2e-" + kind() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.dataDir = spec.dataDir != null ? spec.dataDir : root.resolve("data");
        this.logFile = root.resolve(kind() + ".log");
    }

    /** The executable and any options that come before the etcd flags. */
    protected abstract List<String> launcher();

    @Override
    public String name() {
        return spec.name == null ? spec.env.getOrDefault("ETCD_NAME", "default") : spec.name;
    }

    @Override
    public int clientPort() {
        return clientPort;
    }

    @Override
    public int peerPort() {
        return peerPort;
    }

    @Override
    public String peerUrl() {
        return spec.bootstrapFlags ? "http://127.0.0.1:" + peerPort : "http://localhost:2380";
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public Path logFile() {
        return logFile;
    }

    List<String> command() {
        List<String> cmd = new ArrayList<>(launcher());
        if (spec.name != null) {
            cmd.addAll(List.of("--name", spec.name));
        }
        cmd.addAll(List.of(
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl(),
                "--advertise-client-urls", clientUrl(),
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort));
        if (spec.bootstrapFlags) {
            cmd.addAll(List.of(
                    "--initial-advertise-peer-urls", peerUrl(),
                    "--initial-cluster", spec.initialCluster != null ? spec.initialCluster : name() + "=" + peerUrl()));
        }
        cmd.addAll(spec.extraArgs);
        return cmd;
    }

    @Override
    public synchronized ServerProcess launch() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(kind() + " is already running (pid " + process.pid() + ")");
        }
        List<String> cmd = command();
        try {
            starts++;
            Files.writeString(logFile, "\n===== start #" + starts + " at " + Instant.now() + ": " + String.join(" ", cmd)
                    + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Commands.environment(pb, spec.env);
            process = pb.start();
            RUNNING.add(process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
        return this;
    }

    @Override
    public ServerProcess start() {
        launch();
        try {
            awaitHealthy(spec.healthyWithin);
        } catch (RuntimeException | Error e) {
            stop(); // never leave a half-started server behind
            throw e;
        }
        return this;
    }

    @Override
    public void awaitHealthy(Duration timeout) {
        String path = "/health" + healthQuery();
        URI health = URI.create(clientUrl() + path);
        Process p = process;
        Await.until(kind() + " at " + endpoint() + " to report healthy on " + path, timeout, () -> {
            if (!p.isAlive()) {
                throw new Await.AbortAwait(kind() + " exited with code " + p.exitValue() + " before becoming healthy; log tail:\n"
                        + logTail(40));
            }
            try {
                HttpResponse<String> response = HTTP.send(
                        HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                return response.statusCode() == 200 && response.body().contains("\"health\":\"true\"");
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Await.AbortAwait("interrupted", e);
            }
        });
    }

    /** "?exclude=A&exclude=B" for the alarms the spec excludes, "" for none. */
    private String healthQuery() {
        return spec.healthExcludedAlarms.isEmpty() ? ""
                : "?exclude=" + String.join("&exclude=", spec.healthExcludedAlarms);
    }

    @Override
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            Commands.terminate(process, Duration.ofSeconds(15));
        } finally {
            RUNNING.remove(process);
        }
    }

    @Override
    public synchronized int kill9() {
        if (process == null) {
            throw new IllegalStateException(kind() + " was never started");
        }
        process.destroyForcibly(); // SIGKILL on Linux
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                throw new AssertionError(kind() + " pid " + process.pid() + " still alive 15 s after SIGKILL");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            RUNNING.remove(process);
        }
    }

    @Override
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    @Override
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    @Override
    public String logTail(int maxLines) {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        stop();
        if (!Boolean.getBoolean("ketch.e2e.keep")) {
            Files2.deleteRecursively(root);
        }
    }

    @Override
    public String toString() {
        return kind() + "[" + endpoint() + ", pid " + pid() + ", data " + dataDir + "]";
    }
}
