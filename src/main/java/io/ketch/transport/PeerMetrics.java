package io.ketch.transport;

import static io.ketch.transport.Wire.hex;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The transport's meters, under etcd's names: bytes sent to and received from each peer, the
 * probes' round-trip times and the active links. Without a registry (null) nothing is measured.
 */
final class PeerMetrics {
    private final MeterRegistry registry;
    private final String localHex;
    private final Map<Long, Counter> receivedBytes = new ConcurrentHashMap<>();

    PeerMetrics(MeterRegistry registry, String localHex) {
        this.registry = registry;
        this.localHex = localHex;
    }

    /** The meters of the link to one peer; every method is a no-op without a registry. */
    static final class LinkMeters {
        private final Counter sent;
        private final Timer rtt;
        private final Gauge active;

        private LinkMeters(Counter sent, Timer rtt, Gauge active) {
            this.sent = sent;
            this.rtt = rtt;
            this.active = active;
        }

        void sentBytes(long n) {
            if (sent != null) {
                sent.increment(n);
            }
        }

        void roundTrip(long nanos) {
            if (rtt != null) {
                rtt.record(nanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Registers the meters of the link to {@code hexId}; {@code active} feeds the gauge. */
    LinkMeters link(String hexId, BooleanSupplier active) {
        if (registry == null) {
            return new LinkMeters(null, null, null);
        }
        Counter sent = Counter.builder("etcd.network.peer.sent.bytes")
                .description("The total number of bytes sent to peers.")
                .baseUnit("bytes")
                .tag("To", hexId)
                .register(registry);
        // etcd's buckets: 0.1 ms doubling, 16 of them (up to ~3.3 s).
        Duration[] slo = new Duration[16];
        for (int i = 0; i < slo.length; i++) {
            slo[i] = Duration.ofNanos(100_000L << i);
        }
        Timer rtt = Timer.builder("etcd.network.peer.round.trip.time")
                .description("Round-Trip-Time histogram between peers")
                .serviceLevelObjectives(slo)
                .tag("To", hexId)
                .register(registry);
        Gauge gauge = Gauge.builder("etcd.network.active.peers", active, a -> a.getAsBoolean() ? 1 : 0)
                .description("The current number of active peer connections.")
                .tags("Local", localHex, "Remote", hexId)
                .strongReference(true)
                .register(registry);
        return new LinkMeters(sent, rtt, gauge);
    }

    /** The received-bytes counter of peer {@code from} (registered on first use); null without a registry. */
    Counter received(long from) {
        if (registry == null) {
            return null;
        }
        return receivedBytes.computeIfAbsent(from, f -> Counter.builder("etcd.network.peer.received.bytes")
                .description("The total number of bytes received from peers.")
                .baseUnit("bytes")
                .tag("From", hex(f))
                .register(registry));
    }

    /** Removes every meter of a removed peer, so that a re-added peer registers fresh ones. */
    void removePeer(long id, LinkMeters link) {
        if (registry == null) {
            return;
        }
        for (Meter m : List.of(link.sent, link.rtt, link.active)) {
            registry.remove(m);
        }
        Counter c = receivedBytes.remove(id);
        if (c != null) {
            registry.remove(c);
        }
    }

    /** On close: the link is no longer active, whatever its last state. */
    void removeActiveGauge(LinkMeters link) {
        if (registry != null && link.active != null) {
            registry.remove(link.active);
        }
    }
}
