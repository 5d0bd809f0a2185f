package io.ketch.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The member's Prometheus figures, under etcd's metric names where etcd has the figure, so
 * dashboards and alerts written for etcd read Ketch unchanged.
 */
public final class ServerMetrics {
    private final MeterRegistry registry;
    private final Timer walFsync;
    private final Counter applied;
    private final Counter leaderChanges;
    private final Counter proposalsFailed;

    public ServerMetrics(MeterRegistry registry) {
        this.registry = registry;
        // etcd's buckets for this histogram run from 1 ms doubling up to ~8 s.
        this.walFsync = Timer.builder("etcd.disk.wal.fsync.duration")
                .description("The latency distributions of fsync called by WAL.")
                .serviceLevelObjectives(bucketsFromMillis(0.5, 14))
                .register(registry);
        this.applied = Counter.builder("etcd.server.proposals.applied")
                .description("The total number of consensus proposals applied.")
                .register(registry);
        this.leaderChanges = Counter.builder("etcd.server.leader.changes.seen")
                .description("The number of leader changes seen.")
                .register(registry);
        this.proposalsFailed = Counter.builder("etcd.server.proposals.failed")
                .description("The total number of failed proposals seen.")
                .register(registry);
    }

    public void leaderChanged() {
        leaderChanges.increment();
    }

    public void proposalFailed() {
        proposalsFailed.increment();
    }

    private static Duration[] bucketsFromMillis(double startMs, int count) {
        Duration[] d = new Duration[count];
        double ms = startMs;
        for (int i = 0; i < count; i++) {
            d[i] = Duration.ofNanos((long) (ms * 1_000_000));
            ms *= 2;
        }
        return d;
    }

    public void walFsync(long nanos) {
        walFsync.record(Duration.ofNanos(nanos));
    }

    public void applied() {
        applied.increment();
    }

    /** Registers a gauge read on scrape; Prometheus names come out as etcd's (dots become underscores). */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).strongReference(true).register(registry);
    }
}
