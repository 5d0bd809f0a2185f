package io.ketch.bench;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Formats results: a human-readable summary shaped like etcd's benchmark output, and CSV rows
 * for comparing runs (Ketch against etcd) with other tools.
 */
final class Report {
    static final String CSV_HEADER = "workload,endpoints,clients,conns,key_size,val_size,keys,round,requests,errors,"
            + "elapsed_s,ops_per_s,avg_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms";

    private final BenchOptions options;
    private final Workload workload;

    Report(BenchOptions options, Workload workload) {
        this.options = options;
        this.workload = workload;
    }

    /** E.g. "put: 10000 requests, 100 clients, 10 conns, key 8 B, value 256 B, 10000 sequential keys". */
    String header() {
        StringBuilder s = new StringBuilder(workload.title()).append(": ");
        s.append(options.duration().map(d -> seconds(d) + " s").orElse(options.total() + " requests"));
        s.append(", ").append(options.clients()).append(options.clients() == 1 ? " client, " : " clients, ");
        s.append(options.conns()).append(options.conns() == 1 ? " conn, " : " conns, ");
        s.append("key ").append(options.keySize()).append(" B, value ").append(options.valSize()).append(" B");
        if (!workload.details().isEmpty()) {
            s.append(", ").append(workload.details());
        }
        if (options.warmup() > 0) {
            s.append(", warmup ").append(options.warmup());
        }
        if (options.rounds() > 1) {
            s.append(", ").append(options.rounds()).append(" rounds");
        }
        return s.toString();
    }

    /** Two or three indented lines; {@code label} (e.g. "round 2: ") prefixes the first. */
    String result(String label, RoundResult r) {
        StringBuilder s = new StringBuilder("  ").append(label);
        s.append(format("elapsed %.3f s, ", r.elapsedSeconds()));
        if (options.timed()) {
            s.append(r.requests()).append(" requests, ");
        }
        s.append(format("%.1f ops/s, errors %d%n", r.opsPerSecond(), r.failed()));
        String indent = "  " + " ".repeat(label.length());
        if (r.firstError() != null) {
            s.append(indent).append("first error: ").append(r.firstError()).append(System.lineSeparator());
        }
        LatencySummary l = r.latency();
        s.append(indent).append(format("latency ms: avg %s p50 %s p90 %s p99 %s p99.9 %s max %s%n",
                millis(l.avg()), millis(l.p50()), millis(l.p90()), millis(l.p99()), millis(l.p999()), millis(l.max())));
        return s.toString();
    }

    String median(List<RoundResult> rounds) {
        double[] ops = rounds.stream().mapToDouble(RoundResult::opsPerSecond).toArray();
        double[] p99 = rounds.stream().mapToDouble(r -> r.latency().p99()).toArray();
        return format("  median %.1f ops/s over %d rounds (min %.1f, max %.1f), median p99 %s ms", median(ops),
                ops.length, Arrays.stream(ops).min().orElse(0), Arrays.stream(ops).max().orElse(0), millis(median(p99)));
    }

    String csvRow(int round, RoundResult r) {
        LatencySummary l = r.latency();
        String endpoints = options.endpoints().stream().map(Endpoint::toString).collect(Collectors.joining(";"));
        return String.join(",", workload.title(), endpoints, String.valueOf(options.clients()),
                String.valueOf(options.conns()), String.valueOf(options.keySize()), String.valueOf(options.valSize()),
                workload.details(), String.valueOf(round), String.valueOf(r.requests()), String.valueOf(r.failed()),
                format("%.3f", r.elapsedSeconds()), format("%.1f", r.opsPerSecond()), millis(l.avg()),
                millis(l.p50()), millis(l.p90()), millis(l.p99()), millis(l.p999()), millis(l.max()));
    }

    /** The median; the mean of the middle two for an even count. */
    static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Milliseconds with microsecond resolution: local reads take well under a millisecond. */
    static String millis(double nanos) {
        return format("%.3f", nanos / 1e6);
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
