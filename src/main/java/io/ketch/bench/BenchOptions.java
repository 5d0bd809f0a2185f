package io.ketch.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line of {@code ketch bench}: one benchmark name and its options. Option names
 * follow etcd's benchmark tool where it has one ({@code --endpoints --conns --clients --total
 * --key-size --val-size --consistency}); both {@code --name value} and {@code --name=value} work.
 *
 * @param command the benchmark (subcommand) name, e.g. "put"; null only with {@code help}
 * @param total requests per round; unused when {@code duration} is present
 * @param duration run each round for this long instead of {@code total} requests
 * @param keySpace distinct keys, when given; otherwise the workload picks its own default
 * @param timeout deadline of each request, and of connecting
 * @param watchers watch benchmark: watchers on the benchmark's key prefix
 * @param streams watch benchmark: watch streams carrying them (0: one per connection)
 */
public record BenchOptions(
        String command,
        List<Endpoint> endpoints,
        int clients,
        int conns,
        long total,
        Optional<Duration> duration,
        int keySize,
        int valSize,
        OptionalLong keySpace,
        long warmup,
        int rounds,
        boolean linearizable,
        Duration timeout,
        boolean csv,
        boolean help,
        int watchers,
        int streams) {

    private static final Set<String> VALUE_OPTIONS = Set.of("endpoints", "clients", "conns", "total", "duration",
            "key-size", "val-size", "key-space", "warmup", "rounds", "consistency", "timeout", "watchers", "streams");
    private static final Set<String> FLAGS = Set.of("csv", "help", "h");

    /** True when each round runs for a time rather than a number of requests. */
    public boolean timed() {
        return duration.isPresent();
    }

    public static BenchOptions parse(String... args) throws UsageException {
        String command = null;
        List<Endpoint> endpoints = List.of(new Endpoint("127.0.0.1", 2379));
        int clients = 1;
        int conns = 1;
        Long total = null;
        Duration duration = null;
        int keySize = 8;
        int valSize = 256;
        Long keySpace = null;
        long warmup = 0;
        int rounds = 1;
        boolean linearizable = true;
        Duration timeout = Duration.ofSeconds(30);
        boolean csv = false;
        boolean help = false;
        int watchers = 100;
        int streams = 0;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-")) {
                if (command != null) {
                    throw new UsageException("unexpected argument: " + arg);
                }
                command = arg;
                continue;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int eq = body.indexOf('=');
            String name = eq >= 0 ? body.substring(0, eq) : body;
            String value = eq >= 0 ? body.substring(eq + 1) : null;
            if (FLAGS.contains(name)) {
                boolean on = value == null || parseBoolean(name, value);
                if (name.equals("csv")) {
                    csv = on;
                } else {
                    help = on;
                }
                continue;
            }
            if (!VALUE_OPTIONS.contains(name)) {
                throw new UsageException("unknown option: " + arg);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("option --" + name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "endpoints" -> endpoints = parseEndpoints(value);
                case "clients" -> clients = (int) parseCount(name, value, 1, Integer.MAX_VALUE);
                case "conns" -> conns = (int) parseCount(name, value, 1, Integer.MAX_VALUE);
                case "total" -> total = parseCount(name, value, 1, Long.MAX_VALUE);
                case "duration" -> duration = parseDuration(name, value);
                case "key-size" -> keySize = (int) parseCount(name, value, 1, 1024 * 1024);
                case "val-size" -> valSize = (int) parseCount(name, value, 0, 64 * 1024 * 1024);
                case "key-space" -> keySpace = parseCount(name, value, 1, Long.MAX_VALUE);
                case "warmup" -> warmup = parseCount(name, value, 0, Long.MAX_VALUE);
                case "rounds" -> rounds = (int) parseCount(name, value, 1, 1000);
                case "consistency" -> linearizable = parseConsistency(value);
                case "timeout" -> timeout = parseDuration(name, value);
                case "watchers" -> watchers = (int) parseCount(name, value, 1, 1_000_000);
                case "streams" -> streams = (int) parseCount(name, value, 1, 1_000_000);
                default -> throw new IllegalStateException("option without a parser: " + name);
            }
        }

        if (command == null && !help) {
            throw new UsageException("missing benchmark name");
        }
        if (total != null && duration != null) {
            throw new UsageException("give --total or --duration, not both");
        }
        if (keySpace != null && keySpace > KeyPicker.capacity(keySize)) {
            throw new UsageException("--key-space " + keySpace + " does not fit in keys of " + keySize
                    + " bytes (at most " + KeyPicker.capacity(keySize) + ")");
        }
        return new BenchOptions(command, endpoints, clients, conns, total == null ? 10_000 : total,
                Optional.ofNullable(duration), keySize, valSize,
                keySpace == null ? OptionalLong.empty() : OptionalLong.of(keySpace), warmup, rounds, linearizable,
                timeout, csv, help, watchers, streams);
    }

    static List<Endpoint> parseEndpoints(String value) throws UsageException {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                endpoints.add(Endpoint.parse(part));
            }
        }
        if (endpoints.isEmpty()) {
            throw new UsageException("--endpoints is empty");
        }
        return List.copyOf(endpoints);
    }

    static long parseCount(String name, String value, long min, long max) throws UsageException {
        long n;
        try {
            n = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a whole number: " + value);
        }
        if (n < min || n > max) {
            throw new UsageException("--" + name + " must be between " + min + " and " + max + ": " + value);
        }
        return n;
    }

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    /** Parses Go-style durations ({@code 10s}, {@code 500ms}, {@code 1m30s}); a bare number is seconds. */
    static Duration parseDuration(String name, String value) throws UsageException {
        String text = value.trim();
        Duration d = Duration.ZERO;
        try {
            if (text.matches("\\d+(\\.\\d+)?")) {
                d = fraction(text, Duration.ofSeconds(1));
            } else {
                Matcher m = DURATION_PART.matcher(text);
                int at = 0;
                while (at < text.length() && m.find(at) && m.start() == at) {
                    Duration unit = switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(1);
                        case "s" -> Duration.ofSeconds(1);
                        case "m" -> Duration.ofMinutes(1);
                        default -> Duration.ofHours(1);
                    };
                    d = d.plus(fraction(m.group(1), unit));
                    at = m.end();
                }
                if (at != text.length() || text.isEmpty()) {
                    throw new UsageException("--" + name + " must be a duration such as 10s or 500ms: " + value);
                }
            }
        } catch (ArithmeticException e) {
            throw new UsageException("--" + name + " is too long: " + value);
        }
        if (d.isZero()) {
            throw new UsageException("--" + name + " must be longer than zero: " + value);
        }
        return d;
    }

    private static Duration fraction(String number, Duration unit) {
        BigDecimal nanos = new BigDecimal(number).multiply(BigDecimal.valueOf(unit.toNanos()));
        return Duration.ofNanos(nanos.setScale(0, RoundingMode.DOWN).longValueExact());
    }

    private static boolean parseConsistency(String value) throws UsageException {
        return switch (value) {
            case "l", "linearizable" -> true;
            case "s", "serializable" -> false;
            default -> throw new UsageException("--consistency must be l or s: " + value);
        };
    }

    private static boolean parseBoolean(String name, String value) throws UsageException {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new UsageException("--" + name + " must be true or false: " + value);
        };
    }
}
