package io.ketch.e2e.support;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One etcd-compatible server (the real etcd or Ketch) running as a separate OS process on
 * loopback ports chosen for it. {@link #close()} stops the process (also when a test failed) and
 * removes its temporary directory.
 */
public interface ServerProcess extends AutoCloseable {

    /** "etcd" or "ketch". */
    String kind();

    /** The member name passed with --name, or "default" when none was passed. */
    String name();

    int clientPort();

    int peerPort();

    /** host:port as etcdctl's --endpoints takes it. */
    default String endpoint() {
        return "127.0.0.1:" + clientPort();
    }

    default String clientUrl() {
        return "http://" + endpoint();
    }

    /** The advertised peer URL (etcd's default http://localhost:2380 unless bootstrap flags are passed). */
    String peerUrl();

    Path dataDir();

    Path logFile();

    /**
     * Starts the process and waits until GET /health says healthy (30 s at most unless the spec
     * says otherwise, ignoring the alarms the spec names).
     */
    ServerProcess start();

    /** Starts the process without waiting for it to become healthy. */
    ServerProcess launch();

    /**
     * Waits until GET /health (with the spec's excluded alarms) answers 200 with "health":"true";
     * fails at once if the process dies.
     */
    void awaitHealthy(Duration timeout);

    /** Graceful stop: SIGTERM, then SIGKILL if it has not exited within 15 s. */
    void stop();

    /** Sends SIGKILL and waits for the process to be gone; returns its exit code (137 on Linux). */
    int kill9();

    boolean isAlive();

    long pid();

    /** The last lines of the process's combined stdout/stderr log. */
    String logTail(int maxLines);

    @Override
    void close();
}
