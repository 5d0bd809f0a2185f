package io.ketch.leasee2e;

import io.ketch.testing.Poll;
import java.io.File;
import java.io.IOException;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real etcd or a packaged Ketch member running as a child process on loopback ports. */
final class ServerProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    final String kind;
    final Path dataDir;
    final int clientPort;
    private final int peerPort;
    private final Path log;
    private Process process;

    private ServerProcess(String kind, Path dataDir, int clientPort, int peerPort) {
        this.kind = kind;
        this.dataDir = dataDir;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    static boolean etcdInstalled() {
        return new File("/usr/bin/etcd").canExecute() && new File("/usr/bin/etcdctl").canExecute();
    }

    static Path ketchJar() {
        String jar = System.getProperty("ketch.jar", "target/quarkus-app/quarkus-run.jar");
        return Path.of(jar);
    }

    static ServerProcess etcd(Path dataDir) throws IOException {
        ServerProcess p = new ServerProcess("etcd", dataDir, freePort(), freePort());
        p.start();
        return p;
    }

    static ServerProcess ketch(Path dataDir) throws IOException {
        ServerProcess p = new ServerProcess("ketch", dataDir, freePort(), freePort());
        p.start();
        return p;
    }

    private List<String> command() {
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        List<String> cmd = new ArrayList<>();
        if (kind.equals("etcd")) {
            cmd.add("/usr/bin/etcd");
        } else {
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.add("-jar");
            cmd.add(ketchJar().toAbsolutePath().toString());
        }
        cmd.addAll(List.of("--data-dir", dataDir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "default=" + peer));
        return cmd;
    }

    /** Starts (or restarts, on the same data dir and ports) and waits until it serves. */
    void start() throws IOException {
        process = new ProcessBuilder(command()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        boolean up = Poll.until(Duration.ofSeconds(60), () -> !process.isAlive() || healthy());
        if (!up || !process.isAlive()) {
            throw new IllegalStateException(kind + " did not start; log:\n" + Files.readString(log));
        }
    }

    /** GET /health answers 200 (both etcd and Ketch serve it on the client port). */
    private boolean healthy() {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + clientPort + "/health"))
                    .timeout(Duration.ofSeconds(1)).build();
            return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    record Result(int exit, String out, String err) {}

    Result etcdctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcdctl", "--endpoints=127.0.0.1:" + clientPort,
                "--dial-timeout=2s", "--command-timeout=10s"));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("etcdctl", ".out");
            Path err = Files.createTempFile("etcdctl", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("ETCDCTL_API", "3");
            Process p = pb.start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("etcdctl " + String.join(" ", args) + " hung");
            }
            Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
