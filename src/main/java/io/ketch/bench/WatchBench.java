package io.ketch.bench;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.WatchCreateRequest;
import io.ketch.pb.etcdserver.WatchGrpc;
import io.ketch.pb.etcdserver.WatchRequest;
import io.ketch.pb.etcdserver.WatchResponse;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code ketch bench watch}: watch fan-out. W watchers on one key prefix, spread over S watch
 * streams on the M connections; C clients then put P new keys under the prefix. Every watcher
 * must receive every put exactly once, in revision order, or the run counts errors. Reports
 * events delivered per second (W x P over the time from the first put to the last delivery),
 * the delivery latency of each event (put sent to event received), and the puts' own rate.
 */
final class WatchBench {
    static final String NAME = "watch";
    static final String CSV_HEADER = "workload,endpoints,watchers,streams,conns,clients,val_size,round,puts,events,"
            + "errors,elapsed_s,events_per_s,put_ops_per_s,avg_ms,p50_ms,p90_ms,p99_ms,p999_ms,max_ms";

    private final BenchOptions options;
    private final Connections connections;
    private final PrintStream summary;
    private final PrintStream csv;
    private final ByteString value;
    /** Every key of the run starts with this; round r's keys with base + 3-digit r + "/". */
    private final String base;
    private final int streamCount;
    private final List<WatcherStream> streams = new ArrayList<>();
    private volatile FanoutRound current;

    WatchBench(BenchOptions options, Connections connections, PrintStream summary, PrintStream csv) {
        this.options = options;
        this.connections = connections;
        this.summary = summary;
        this.csv = csv;
        this.value = PutWorkload.randomValue(options.valSize());
        this.base = "/ketch-bench-watch/" + Long.toString(System.nanoTime() & 0xffffffffL, 36) + "/";
        this.streamCount = Math.min(options.watchers(), options.streams() > 0 ? options.streams() : options.conns());
    }

    /** Returns the exit code: 0, or 2 when an event was missing, duplicated or out of order. */
    int execute() throws BenchFailure, InterruptedException {
        openWatchers();
        summary.println(header());
        if (csv != null) {
            csv.println(CSV_HEADER);
        }
        boolean anyFailed = false;
        try {
            if (options.warmup() > 0) {
                Outcome w = runRound(0, options.warmup());
                if (w.errors() > 0) {
                    anyFailed = true;
                    summary.println("  warmup: errors " + w.errors() + ", first error: " + w.firstError());
                }
            }
            List<Double> rates = new ArrayList<>();
            List<Double> p99s = new ArrayList<>();
            for (int r = 1; r <= options.rounds(); r++) {
                Outcome o = runRound(r, options.total());
                anyFailed |= o.errors() > 0;
                rates.add(o.eventsPerSecond());
                p99s.add((double) o.delivery().p99());
                summary.print(result(options.rounds() == 1 ? "" : "round " + r + ": ", o));
                if (csv != null) {
                    csv.println(csvRow(r, o));
                }
            }
            if (rates.size() > 1) {
                double[] a = rates.stream().mapToDouble(Double::doubleValue).toArray();
                double[] p = p99s.stream().mapToDouble(Double::doubleValue).toArray();
                summary.println(format("  median %.1f events/s over %d rounds (min %.1f, max %.1f), median delivery p99 %s ms",
                        Report.median(a), a.length, java.util.Arrays.stream(a).min().orElse(0),
                        java.util.Arrays.stream(a).max().orElse(0), Report.millis(Report.median(p))));
            }
        } finally {
            streams.forEach(WatcherStream::close);
        }
        return anyFailed ? Bench.FAILED : Bench.OK;
    }

    private String header() {
        return format("watch: %d watchers on %d streams over %d conns, %s puts by %d clients per round, value %d B%s%s",
                options.watchers(), streamCount, options.conns(), options.total(), options.clients(), options.valSize(),
                options.warmup() > 0 ? ", warmup " + options.warmup() : "",
                options.rounds() > 1 ? ", " + options.rounds() + " rounds" : "");
    }

    // ------------------------------------------------------------------ watchers

    /** Opens the streams and creates every watcher; returns once all are created. */
    private void openWatchers() throws BenchFailure, InterruptedException {
        CountDownLatch created = new CountDownLatch(options.watchers());
        for (int s = 0; s < streamCount; s++) {
            streams.add(new WatcherStream(connections.forClient(s), created));
        }
        ByteString key = ByteString.copyFromUtf8(base);
        ByteString end = prefixEnd(base);
        for (int w = 0; w < options.watchers(); w++) {
            streams.get(w % streamCount).create(w, key, end);
        }
        if (!created.await(options.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
            throw new BenchFailure("watchers not created within " + options.timeout().toMillis() + " ms");
        }
        for (WatcherStream s : streams) {
            if (s.failure != null) {
                throw new BenchFailure("watch stream failed: " + ErrorTally.describe(s.failure));
            }
        }
    }

    private static ByteString prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        b[b.length - 1]++; // the prefix ends in '/', so no carry
        return ByteString.copyFrom(b);
    }

    /** One watch stream and its watchers' bookkeeping; its callbacks run one at a time. */
    private final class WatcherStream {
        final StreamObserver<WatchRequest> requests;
        final CountDownLatch created;
        /** Per watcher id on this stream: last revision seen in the current round. */
        final java.util.Map<Long, long[]> lastRev = new java.util.concurrent.ConcurrentHashMap<>();
        volatile Throwable failure;

        WatcherStream(Connection conn, CountDownLatch created) {
            this.created = created;
            this.requests = WatchGrpc.newStub(conn.channel()).watch(new StreamObserver<>() {
                @Override
                public void onNext(WatchResponse r) {
                    received(r);
                }

                @Override
                public void onError(Throwable t) {
                    failure = t;
                    FanoutRound round = current;
                    if (round != null) {
                        round.error("watch stream failed: " + ErrorTally.describe(t));
                    }
                    while (created.getCount() > 0) {
                        created.countDown();
                    }
                }

                @Override
                public void onCompleted() {
                }
            });
        }

        void create(int watcher, ByteString key, ByteString end) {
            lastRev.put((long) watcher + 1, new long[] {0});
            requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(key)
                    .setRangeEnd(end).setWatchId(watcher + 1)).build());
        }

        private void received(WatchResponse r) {
            if (r.getCreated()) {
                if (r.getCanceled()) {
                    failure = new IllegalStateException("create refused: " + r.getCancelReason());
                }
                created.countDown();
                return;
            }
            FanoutRound round = current;
            if (r.getCanceled()) {
                if (round != null) {
                    round.error("watcher " + r.getWatchId() + " canceled: " + r.getCancelReason());
                }
                return;
            }
            if (r.getEventsCount() == 0 || round == null) {
                return;
            }
            long now = System.nanoTime();
            long[] last = lastRev.get(r.getWatchId());
            for (int i = 0; i < r.getEventsCount(); i++) {
                var kv = r.getEvents(i).getKv();
                if (kv.getModRevision() <= last[0]) {
                    round.error("watcher " + r.getWatchId() + ": revision " + kv.getModRevision() + " after "
                            + last[0]);
                }
                last[0] = kv.getModRevision();
                round.delivered((int) r.getWatchId() - 1, kv.getKey(), now, this);
            }
        }

        void close() {
            try {
                requests.onCompleted();
            } catch (RuntimeException ignored) {
                // the channel is going away anyway
            }
        }
    }

    // ------------------------------------------------------------------ rounds

    private Outcome runRound(int number, long puts) throws BenchFailure, InterruptedException {
        FanoutRound round = new FanoutRound(number, puts, options.watchers(), streams, base);
        current = round;
        List<Workload.Client> clients = new ArrayList<>(options.clients());
        for (int i = 0; i < options.clients(); i++) {
            Connection conn = connections.forClient(i);
            clients.add((seq, done) -> {
                round.sent(seq);
                conn.kv().put(PutRequest.newBuilder().setKey(round.key(seq)).setValue(value).build(),
                        UnaryObserver.of(done));
            });
        }
        RoundResult putResult = LoadRunner.run(clients, Budget.requests(puts));
        if (putResult.failed() > 0) {
            round.error(putResult.failed() + " puts failed; first: " + putResult.firstError());
        }
        boolean complete = round.awaitDeliveries(options.timeout());
        if (!complete) {
            round.error("only " + round.deliveredCount() + " of " + round.expected() + " events arrived within "
                    + options.timeout().toMillis() + " ms after the last put");
        }
        return round.outcome(putResult);
    }

    /** What one round measured. */
    record Outcome(long events, long errors, String firstError, long elapsedNanos, LatencySummary delivery,
            RoundResult puts) {
        double eventsPerSecond() {
            return elapsedNanos == 0 ? 0 : events / (elapsedNanos / 1e9);
        }
    }

    private String result(String label, Outcome o) {
        String indent = "  " + " ".repeat(label.length());
        StringBuilder s = new StringBuilder("  ").append(label);
        s.append(format("events %d in %.3f s: %.1f events/s, errors %d; puts %.1f ops/s%n", o.events(),
                o.elapsedNanos() / 1e9, o.eventsPerSecond(), o.errors(), o.puts().opsPerSecond()));
        if (o.firstError() != null) {
            s.append(indent).append("first error: ").append(o.firstError()).append(System.lineSeparator());
        }
        s.append(indent).append("delivery ").append(latency(o.delivery()));
        s.append(indent).append("put ").append(latency(o.puts().latency()));
        return s.toString();
    }

    private static String latency(LatencySummary l) {
        return format("latency ms: avg %s p50 %s p90 %s p99 %s p99.9 %s max %s%n", Report.millis(l.avg()),
                Report.millis(l.p50()), Report.millis(l.p90()), Report.millis(l.p99()), Report.millis(l.p999()),
                Report.millis(l.max()));
    }

    private String csvRow(int round, Outcome o) {
        LatencySummary l = o.delivery();
        String endpoints = String.join(";", options.endpoints().stream().map(Endpoint::toString).toList());
        return String.join(",", NAME, endpoints, String.valueOf(options.watchers()), String.valueOf(streamCount),
                String.valueOf(options.conns()), String.valueOf(options.clients()), String.valueOf(options.valSize()),
                String.valueOf(round), String.valueOf(o.puts().requests()), String.valueOf(o.events()),
                String.valueOf(o.errors()), format("%.3f", o.elapsedNanos() / 1e9), format("%.1f", o.eventsPerSecond()),
                format("%.1f", o.puts().opsPerSecond()), Report.millis(l.avg()), Report.millis(l.p50()),
                Report.millis(l.p90()), Report.millis(l.p99()), Report.millis(l.p999()), Report.millis(l.max()));
    }

    private static String format(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
