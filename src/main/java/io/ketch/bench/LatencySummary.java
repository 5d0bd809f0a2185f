package io.ketch.bench;

import java.util.Arrays;

/** Average, percentiles and maximum of a set of latencies, all in nanoseconds. */
record LatencySummary(long count, double avg, long p50, long p90, long p99, long p999, long max) {

    /** Summarizes {@code nanos}, sorting it in place. An empty set gives all zeros. */
    static LatencySummary of(long[] nanos) {
        Arrays.sort(nanos);
        double sum = 0;
        for (long n : nanos) {
            sum += n;
        }
        return new LatencySummary(nanos.length, nanos.length == 0 ? 0 : sum / nanos.length,
                percentile(nanos, 50), percentile(nanos, 90), percentile(nanos, 99), percentile(nanos, 99.9),
                nanos.length == 0 ? 0 : nanos[nanos.length - 1]);
    }

    /**
     * The nearest-rank percentile of sorted values: the smallest value such that at least
     * {@code p} percent of the values are less than or equal to it. Always a measured value,
     * never an interpolation, so p99.9 of 100 requests is honestly the maximum.
     */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        // ceil(p/100 * n) in integers (p in thousandths): in doubles 99.9/100 * 1000 is
        // 999.0000000000001, whose ceiling would wrongly be 1000.
        long thousandths = Math.round(p * 1000);
        long rank = (thousandths * sorted.length + 99_999) / 100_000;
        int index = (int) Math.max(0, Math.min(sorted.length - 1, rank - 1));
        return sorted[index];
    }
}
