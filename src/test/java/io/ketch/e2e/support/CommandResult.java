package io.ketch.e2e.support;

import java.util.List;

/** What one finished (or timed-out) command printed, and how it exited. */
public record CommandResult(List<String> command, String stdout, String stderr, int exitCode, boolean timedOut) {

    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    public String describe() {
        return "$ " + String.join(" ", command) + "\nexit=" + exitCode + (timedOut ? " (TIMED OUT)" : "")
                + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }

    @Override
    public String toString() {
        return describe();
    }
}
