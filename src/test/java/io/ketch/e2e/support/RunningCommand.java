package io.ketch.e2e.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command left running while the test reads what it prints (such as {@code etcdctl watch}):
 * stdout and stderr merged, collected line by line as they come. {@link #close()} stops it.
 */
public final class RunningCommand implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    /** Every line printed so far; guarded by itself, which is also notified on each new line. */
    private final List<String> lines = new ArrayList<>();
    /** The output reached its end (the process exited or was stopped): no line will come anymore. */
    private boolean outputEnded;

    RunningCommand(List<String> command, Process process) {
        this.command = List.copyOf(command);
        this.process = process;
        Thread reader = new Thread(this::readOutput, "output of " + command.get(0) + " pid " + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    private void readOutput() {
        try (BufferedReader r = process.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the process was stopped while we read
        } finally {
            synchronized (lines) {
                outputEnded = true;
                lines.notifyAll();
            }
        }
    }

    /**
     * Waits until at least {@code n} lines have come, the output has ended or {@code timeout} has
     * passed, and returns all lines so far. It does not fail by itself: the caller asserts what it
     * expects, so that too few and too many lines both show.
     */
    public List<String> awaitLines(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            try {
                long left;
                while (lines.size() < n && !outputEnded && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(lines, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the output of " + command, e);
            }
            return List.copyOf(lines);
        }
    }

    /** Stops the command: SIGTERM, then SIGKILL if it has not exited within 10 s. */
    @Override
    public void close() {
        Commands.terminate(process, Duration.ofSeconds(10));
    }

    @Override
    public String toString() {
        return "$ " + String.join(" ", command) + " (pid " + process.pid() + ")";
    }
}
