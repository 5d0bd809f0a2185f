package io.ketch.watch;

import java.time.Duration;

/** Runs the streams' periodic progress ticks: a real scheduler, or a fake clock in tests. */
public interface ProgressTimer {
    /**
     * Runs task every period (the first time one period from now) until the returned
     * canceller is run.
     */
    Runnable every(Duration period, Runnable task);
}
