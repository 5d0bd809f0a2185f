package io.ketch.watch;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The production {@link ProgressTimer}: one daemon thread; ticks hand their work to each stream's executor. */
final class ScheduledProgressTimer implements ProgressTimer {
    private final ScheduledThreadPoolExecutor executor;

    ScheduledProgressTimer() {
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "ketch-watch-progress");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public Runnable every(Duration period, Runnable task) {
        long nanos = period.toNanos();
        ScheduledFuture<?> f = executor.scheduleAtFixedRate(task, nanos, nanos, TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }

    void close() {
        executor.shutdownNow();
    }
}
