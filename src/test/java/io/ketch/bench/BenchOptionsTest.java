package io.ketch.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void defaultsFollowEtcdsBenchmark() throws Exception {
        BenchOptions o = BenchOptions.parse("put");
        assertEquals("put", o.command());
        assertEquals(List.of(new Endpoint("127.0.0.1", 2379)), o.endpoints());
        assertEquals(1, o.clients());
        assertEquals(1, o.conns());
        assertEquals(10_000, o.total());
        assertEquals(Optional.empty(), o.duration());
        assertEquals(8, o.keySize());
        assertEquals(256, o.valSize());
        assertEquals(OptionalLong.empty(), o.keySpace());
        assertEquals(0, o.warmup());
        assertEquals(1, o.rounds());
        assertTrue(o.linearizable());
        assertFalse(o.csv());
    }

    @Test
    void readsEveryOptionInBothSpellings() throws Exception {
        BenchOptions o = BenchOptions.parse("--endpoints", "a:1,http://b:2/", "range", "--clients=100", "--conns", "10",
                "--duration", "1m30s", "--key-size", "16", "--val-size=0", "--key-space", "1_000", "--warmup", "5",
                "--rounds", "3", "--consistency", "s", "--timeout", "250ms", "--csv");
        assertEquals("range", o.command());
        assertEquals(List.of(new Endpoint("a", 1), new Endpoint("b", 2)), o.endpoints());
        assertEquals(100, o.clients());
        assertEquals(10, o.conns());
        assertEquals(Optional.of(Duration.ofSeconds(90)), o.duration());
        assertTrue(o.timed());
        assertEquals(16, o.keySize());
        assertEquals(0, o.valSize());
        assertEquals(OptionalLong.of(1000), o.keySpace());
        assertEquals(5, o.warmup());
        assertEquals(3, o.rounds());
        assertFalse(o.linearizable());
        assertEquals(Duration.ofMillis(250), o.timeout());
        assertTrue(o.csv());
    }

    @Test
    void durationsTakeGoUnitsAndBareSeconds() throws Exception {
        assertEquals(Duration.ofSeconds(10), BenchOptions.parseDuration("d", "10s"));
        assertEquals(Duration.ofMillis(1500), BenchOptions.parseDuration("d", "1.5s"));
        assertEquals(Duration.ofMillis(500), BenchOptions.parseDuration("d", "500ms"));
        assertEquals(Duration.ofMinutes(61), BenchOptions.parseDuration("d", "1h1m"));
        assertEquals(Duration.ofSeconds(3), BenchOptions.parseDuration("d", "3"));
        assertThrows(UsageException.class, () -> BenchOptions.parseDuration("d", "10"  + "x"));
        assertThrows(UsageException.class, () -> BenchOptions.parseDuration("d", "s"));
        assertThrows(UsageException.class, () -> BenchOptions.parseDuration("d", "0s"));
        assertThrows(UsageException.class, () -> BenchOptions.parseDuration("d", "-1s"));
    }

    @Test
    void endpointsAcceptIpv6AndRefuseTls() throws Exception {
        assertEquals(new Endpoint("::1", 2379), Endpoint.parse("[::1]:2379"));
        assertEquals("[::1]:2379", new Endpoint("::1", 2379).toString());
        assertThrows(UsageException.class, () -> Endpoint.parse("https://a:2379"));
        assertThrows(UsageException.class, () -> Endpoint.parse("a"));
        assertThrows(UsageException.class, () -> Endpoint.parse("a:0"));
        assertThrows(UsageException.class, () -> Endpoint.parse("a:x"));
    }

    @Test
    void helpNeedsNoBenchmarkName() throws Exception {
        assertTrue(BenchOptions.parse("--help").help());
        assertTrue(BenchOptions.parse("-h").help());
    }

    @Test
    void badCommandLinesAreRefused() {
        String[][] bad = {
            {},                                      // no benchmark
            {"put", "range"},                        // two benchmarks
            {"put", "--nope", "1"},                  // unknown option
            {"put", "--clients"},                    // missing value
            {"put", "--clients", "0"},               // out of range
            {"put", "--clients", "many"},            // not a number
            {"put", "--total", "5", "--duration", "1s"},
            {"put", "--consistency", "x"},
            {"put", "--key-size", "2", "--key-space", "101"},   // 2 digits hold 100 keys
            {"put", "--endpoints", ","},
            {"put", "--csv=maybe"},
        };
        for (String[] args : bad) {
            assertThrows(UsageException.class, () -> BenchOptions.parse(args), String.join(" ", args));
        }
    }

    @Test
    void badUsageExitsWithOneAndHelpWithZero() {
        var sink = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        assertEquals(1, Bench.run(new String[] {"frob"}, sink, sink));
        assertEquals(1, Bench.run(new String[] {"put", "--rounds", "0"}, sink, sink));
        assertEquals(0, Bench.run(new String[] {"--help"}, sink, sink));
    }
}
