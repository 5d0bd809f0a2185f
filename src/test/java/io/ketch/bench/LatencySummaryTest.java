package io.ketch.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

    @Test
    void percentilesAreNearestRank() {
        long[] oneToHundred = LongStream.rangeClosed(1, 100).toArray();
        assertEquals(50, LatencySummary.percentile(oneToHundred, 50));
        assertEquals(90, LatencySummary.percentile(oneToHundred, 90));
        assertEquals(99, LatencySummary.percentile(oneToHundred, 99));
        assertEquals(100, LatencySummary.percentile(oneToHundred, 99.9));
        assertEquals(100, LatencySummary.percentile(oneToHundred, 100));
        assertEquals(1, LatencySummary.percentile(oneToHundred, 0));
    }

    @Test
    void p999OfAThousandIsTheSecondLargestNotTheMaximum() {
        long[] values = LongStream.rangeClosed(1, 1000).toArray();
        assertEquals(999, LatencySummary.percentile(values, 99.9));
        assertEquals(990, LatencySummary.percentile(values, 99));
    }

    @Test
    void summarySortsAndAverages() {
        LatencySummary s = LatencySummary.of(new long[] {40, 10, 30, 20});
        assertEquals(4, s.count());
        assertEquals(25.0, s.avg());
        assertEquals(20, s.p50());
        assertEquals(40, s.p90());
        assertEquals(40, s.max());
    }

    @Test
    void singleAndEmptySets() {
        LatencySummary one = LatencySummary.of(new long[] {7});
        assertEquals(7, one.p50());
        assertEquals(7, one.p999());
        assertEquals(new LatencySummary(0, 0, 0, 0, 0, 0, 0), LatencySummary.of(new long[0]));
    }
}
