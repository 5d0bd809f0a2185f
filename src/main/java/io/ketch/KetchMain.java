package io.ketch;

import io.ketch.bench.Bench;
import io.ketch.server.EtcdFlags;
import io.ketch.server.GoDuration;
import io.ketch.server.MemberIdentity;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code ketch} command: etcd's flags in, a running member out. Flags are checked before
 * Quarkus starts so that a bad command line fails fast with etcd's message and exit code 1,
 * then handed to the application as {@code ketch.*} system properties.
 */
@QuarkusMain
public final class KetchMain {
    public static final String VERSION = "0.1.0";
    /** The etcd API version Ketch implements, reported by /version and Status. */
    public static final String ETCD_API_VERSION = "3.5.0";
    /** gRPC accepts this much beyond --max-request-bytes so the server can answer with etcd's own error. */
    static final int GRPC_OVERHEAD_BYTES = 512 * 1024;

    /** Flags consumed by the launcher itself rather than by {@code ServerConfig}. */
    private static final Set<String> HANDLED_HERE = Set.of("version", "log-level", "logger", "log-outputs");

    private KetchMain() {}

    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("bench")) {
            System.exit(Bench.run(Arrays.copyOfRange(args, 1, args.length)));
            return;
        }
        if (args.length > 0 && args[0].equals("snapshot")) {
            System.exit(SnapshotCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
            return;
        }
        EtcdFlags.Parsed parsed;
        try {
            parsed = EtcdFlags.parse(args, System.getenv());
        } catch (EtcdFlags.FlagException e) {
            System.err.println("ketch: " + e.getMessage());
            System.err.println("Run 'ketch --help' for the list of flags.");
            System.exit(1);
            return;
        }
        if (parsed.help()) {
            System.out.print(EtcdFlags.usage());
            return;
        }
        Map<String, String> v = parsed.values();
        if (Boolean.parseBoolean(v.get("version"))) {
            // etcd's layout, so tools that read the first line of `etcd --version` work.
            System.out.println("etcd Version: " + ETCD_API_VERSION);
            System.out.println("Git SHA: ketch-" + VERSION);
            System.out.println("Go Version: java" + Runtime.version().feature());
            System.out.println("Go OS/Arch: " + System.getProperty("os.name").toLowerCase(Locale.ROOT) + "/"
                    + System.getProperty("os.arch"));
            return;
        }
        try {
            configure(v);
        } catch (IllegalArgumentException e) {
            System.err.println("ketch: " + e.getMessage());
            System.exit(1);
            return;
        }
        Quarkus.run();
    }

    /** Validates the values and publishes them as system properties for Quarkus and {@code ServerConfig}. */
    static void configure(Map<String, String> v) {
        MemberIdentity.derive(v.get("name"), v.get("initial-cluster"), v.get("initial-advertise-peer-urls"),
                v.get("advertise-client-urls"), v.get("initial-cluster-token"));
        String state = v.get("initial-cluster-state");
        if (!state.equals("new") && !state.equals("existing")) {
            throw new IllegalArgumentException("invalid value \"" + state + "\" for flag -initial-cluster-state");
        }
        URI listen = URI.create(MemberIdentity.splitUrls(v.get("listen-client-urls")).get(0));
        if (!"http".equals(listen.getScheme())) {
            throw new IllegalArgumentException("--listen-client-urls: only http:// is supported so far, got " + listen);
        }
        for (String numeric : new String[] {"max-request-bytes", "max-txn-ops", "snapshot-count",
                "experimental-snapshot-catchup-entries",
                "heartbeat-interval", "election-timeout"}) {
            long n;
            try {
                n = Long.parseLong(v.get(numeric));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid value \"" + v.get(numeric) + "\" for flag -" + numeric);
            }
            if (n <= 0) {
                throw new IllegalArgumentException("--" + numeric + " must be positive, got " + n);
            }
        }
        try {
            Long.parseLong(v.get("quota-backend-bytes"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value \"" + v.get("quota-backend-bytes")
                    + "\" for flag -quota-backend-bytes");
        }
        String interval = v.get("experimental-watch-progress-notify-interval");
        try {
            GoDuration.parse(interval);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid value \"" + interval
                    + "\" for flag -experimental-watch-progress-notify-interval: parse error");
        }
        v.forEach((k, value) -> {
            if (!HANDLED_HERE.contains(k)) {
                System.setProperty("ketch." + k, value);
            }
        });
        System.setProperty("quarkus.http.host", listen.getHost());
        System.setProperty("quarkus.http.port", Integer.toString(listen.getPort()));
        System.setProperty("quarkus.grpc.server.max-inbound-message-size",
                Long.toString(Long.parseLong(v.get("max-request-bytes")) + GRPC_OVERHEAD_BYTES));
        System.setProperty("quarkus.log.level", switch (v.get("log-level").toLowerCase(Locale.ROOT)) {
            case "debug" -> "DEBUG";
            case "info" -> "INFO";
            case "warn" -> "WARN";
            case "error" -> "ERROR";
            case "panic", "fatal" -> "FATAL";
            default -> throw new IllegalArgumentException("unknown log level \"" + v.get("log-level") + "\"");
        });
    }
}
