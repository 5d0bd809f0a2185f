package io.ketch.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** The benchmarks {@code ketch bench} knows, by subcommand name. New workloads are added here. */
final class Workloads {
    private static final Map<String, Function<BenchOptions, Workload>> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("put", PutWorkload::from);
        BY_NAME.put("range", RangeWorkload::from);
        BY_NAME.put("lease-grant", LeaseGrantWorkload::from);
        BY_NAME.put("lease-keepalive", LeaseKeepAliveWorkload::from);
    }

    private Workloads() {
    }

    static Set<String> names() {
        return BY_NAME.keySet();
    }

    static Optional<Workload> create(BenchOptions options) {
        return Optional.ofNullable(BY_NAME.get(options.command())).map(factory -> factory.apply(options));
    }
}
