package io.ketch.maint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Ketch or etcd server as a separate process on free loopback ports, with its log in a
 * file next to its data dir. Both take the same etcd flags; the member and cluster IDs come
 * from the default --initial-advertise-peer-urls, so they are equal for Ketch and etcd.
 */
final class ServerProc implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String kind;
    final Path dataDir;
    private final List<String> extraArgs;
    private final int clientPort = freePort();
    private final int peerPort = freePort();
    private Process process;

    private ServerProc(String kind, Path dataDir, List<String> extraArgs) {
        this.kind = kind;
        this.dataDir = dataDir;
        this.extraArgs = extraArgs;
    }

    static ServerProc ketch(Path dataDir, String... args) {
        return new ServerProc("ketch", dataDir, List.of(args));
    }

    static ServerProc etcd(Path dataDir, String... args) {
        return new ServerProc("etcd", dataDir, List.of(args));
    }

    /** host:port, as etcdctl's --endpoints takes it. */
    String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    int clientPort() {
        return clientPort;
    }

    Path log() {
        return dataDir.resolveSibling(dataDir.getFileName() + "." + kind + ".log");
    }

    ServerProc start() {
        List<String> cmd = new ArrayList<>();
        if (kind.equals("ketch")) {
            String jar = System.getProperty("ketch.jar", "target/quarkus-app/quarkus-run.jar");
            cmd.addAll(List.of(javaBin(), "-Xmx512m", "-jar", jar));
        } else {
            cmd.add("etcd");
        }
        cmd.addAll(List.of("--data-dir", dataDir.toString(),
                "--listen-client-urls", "http://" + endpoint(),
                "--advertise-client-urls", "http://" + endpoint(),
                "--listen-peer-urls", "http://127.0.0.1:" + peerPort));
        cmd.addAll(extraArgs);
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
            pb.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
        awaitHealthy();
        return this;
    }

    /** Polls /health (raised alarms excluded: a member with NOSPACE still serves) until it answers true. */
    private void awaitHealthy() {
        URI health = URI.create("http://" + endpoint() + "/health?exclude=NOSPACE");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(kind + " exited with " + process.exitValue() + "; log: " + logTail());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                process.waitFor(100, TimeUnit.MILLISECONDS); // a pause between polls that ends early if it dies
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(kind + " not healthy after 60 s; log: " + logTail());
    }

    /** Stops with SIGTERM (a clean shutdown), waiting for the exit. */
    void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        waitExit();
    }

    /** SIGKILL: no shutdown code runs. */
    void kill9() {
        process.destroyForcibly();
        waitExit();
    }

    private void waitExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            waitExit();
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
