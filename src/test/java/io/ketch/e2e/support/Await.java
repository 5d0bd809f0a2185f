package io.ketch.e2e.support;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or a deadline passes. The pause between two probes is a
 * polling interval, not a guess at how long something takes: the caller always gets control back
 * as soon as the condition holds, and a clear failure when the deadline passes.
 */
public final class Await {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /** Waits until {@code condition} is true; exceptions thrown by the probe count as "not yet". */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        value(what, timeout, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /** Waits until {@code probe} returns a present value and returns it. */
    public static <T> T value(String what, Duration timeout, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (true) {
            try {
                Optional<T> result = probe.get();
                if (result.isPresent()) {
                    return result.get();
                }
            } catch (AbortAwait e) {
                throw new AssertionError("gave up waiting for " + what + ": " + e.getMessage(), e.getCause());
            } catch (RuntimeException e) {
                last = e;
            }
            if (System.nanoTime() - deadline > 0) {
                AssertionError error = new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (last == null ? "" : " (last probe error: " + last + ")"));
                if (last != null) {
                    error.initCause(last);
                }
                throw error;
            }
            pollInterval();
        }
    }

    private static void pollInterval() {
        try {
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AbortAwait("interrupted", e);
        }
    }

    /** Thrown by a probe to stop waiting at once (for example: the awaited process died). */
    public static final class AbortAwait extends RuntimeException {
        public AbortAwait(String message) {
            super(message);
        }

        public AbortAwait(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
