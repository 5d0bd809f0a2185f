package io.ketch.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, Report.median(new double[] {5, 1, 3}));
        assertEquals(2.5, Report.median(new double[] {4, 1, 3, 2}));
        assertEquals(0.0, Report.median(new double[0]));
    }

    @Test
    void summaryHasEtcdBenchmarkShape() throws Exception {
        BenchOptions o = BenchOptions.parse("put", "--clients", "100", "--conns", "10");
        Report report = new Report(o, PutWorkload.from(o));
        assertEquals("put: 10000 requests, 100 clients, 10 conns, key 8 B, value 256 B, 10000 sequential keys",
                report.header());
        LatencySummary latency = new LatencySummary(10_000, 12_100_000, 11_000_000, 18_200_000, 30_500_000,
                41_000_000, 52_300_000);
        RoundResult result = new RoundResult(10_000, 0, null, 1_234_000_000L, latency);
        String nl = System.lineSeparator();
        assertEquals("  elapsed 1.234 s, 8103.7 ops/s, errors 0" + nl
                + "  latency ms: avg 12.100 p50 11.000 p90 18.200 p99 30.500 p99.9 41.000 max 52.300" + nl,
                report.result("", result));
        assertEquals(Report.CSV_HEADER.split(",").length, report.csvRow(1, result).split(",").length);
    }

    @Test
    void failuresShowTheFirstErrorAndRoundsTheMedian() throws Exception {
        BenchOptions o = BenchOptions.parse("range", "--duration", "2s", "--rounds", "2");
        Report report = new Report(o, RangeWorkload.from(o));
        assertTrue(report.header().startsWith("range (linearizable): 2 s, 1 client, 1 conn,"), report.header());
        RoundResult bad = new RoundResult(90, 10, "UNAVAILABLE: gone", 1_000_000_000L, LatencySummary.of(new long[] {2_000_000}));
        String text = report.result("round 1: ", bad);
        assertTrue(text.startsWith("  round 1: elapsed 1.000 s, 100 requests, 90.0 ops/s, errors 10"), text);
        assertTrue(text.contains("           first error: UNAVAILABLE: gone"), text);
        RoundResult good = new RoundResult(110, 0, null, 1_000_000_000L, LatencySummary.of(new long[] {4_000_000}));
        assertEquals("  median 100.0 ops/s over 2 rounds (min 90.0, max 110.0), median p99 3.000 ms",
                report.median(List.of(bad, good)));
    }
}
