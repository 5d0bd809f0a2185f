package io.ketch.watch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A fake clock for progress ticks: tasks run only when the test advances time. */
final class ManualTimer implements ProgressTimer {
    private static final class Task {
        final long period;
        final Runnable run;
        long due;
        boolean cancelled;

        Task(long period, Runnable run, long due) {
            this.period = period;
            this.run = run;
            this.due = due;
        }
    }

    private final List<Task> tasks = new ArrayList<>();
    private long now;

    @Override
    public synchronized Runnable every(Duration period, Runnable task) {
        Task t = new Task(period.toNanos(), task, now + period.toNanos());
        tasks.add(t);
        return () -> {
            synchronized (ManualTimer.this) {
                t.cancelled = true;
            }
        };
    }

    /** Moves the clock forward, running every tick that falls due, in time order. */
    void advance(Duration d) {
        long target;
        synchronized (this) {
            target = now + d.toNanos();
        }
        while (true) {
            Task next = null;
            synchronized (this) {
                for (Task t : tasks) {
                    if (!t.cancelled && t.due <= target && (next == null || t.due < next.due)) {
                        next = t;
                    }
                }
                if (next == null) {
                    now = target;
                    return;
                }
                now = next.due;
                next.due += next.period;
            }
            next.run.run();
        }
    }

    synchronized int activeTasks() {
        return (int) tasks.stream().filter(t -> !t.cancelled).count();
    }
}
