package io.ketch.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * etcd's command line: the flags Ketch understands, their defaults, and the parser that
 * merges flags over {@code ETCD_*} environment variables, as etcd does. Only flags whose
 * behaviour is built are listed: an etcd flag we would silently ignore is refused instead,
 * so nobody believes a setting took effect when it did not.
 *
 * <p>The result is a map from flag name to value; {@link ServerConfig} reads it through
 * system properties named {@code ketch.<flag>} so that tests can set the same keys in
 * {@code application.properties}.
 */
public final class EtcdFlags {

    /** One accepted flag. {@code bool} flags may be given without a value. */
    public record Flag(String name, String defaultValue, boolean bool, String help) {}

    public static final List<Flag> FLAGS = List.of(
            new Flag("name", "default", false, "Human-readable name for this member."),
            new Flag("data-dir", "${name}.ketch", false, "Path to the data directory."),
            new Flag("wal-dir", "", false, "Path to the dedicated wal directory (default: <data-dir>/member/wal)."),
            new Flag("listen-client-urls", "http://localhost:2379", false,
                    "URL to listen on for client traffic (gRPC and HTTP share it)."),
            new Flag("advertise-client-urls", "http://localhost:2379", false,
                    "List of this member's client URLs to advertise to the public."),
            new Flag("listen-peer-urls", "http://localhost:2380", false, "List of URLs to listen on for peer traffic."),
            new Flag("initial-advertise-peer-urls", "http://localhost:2380", false,
                    "List of this member's peer URLs to advertise to the rest of the cluster."),
            new Flag("initial-cluster", "", false,
                    "Initial cluster configuration for bootstrapping (default: <name>=<initial-advertise-peer-urls>)."),
            new Flag("initial-cluster-state", "new", false, "Initial cluster state ('new' or 'existing')."),
            new Flag("initial-cluster-token", "etcd-cluster", false,
                    "Initial cluster token for the etcd cluster during bootstrap."),
            new Flag("strict-reconfig-check", "true", true,
                    "Reject reconfiguration requests that would cause quorum loss."),
            new Flag("experimental-auto-promote-learners", "false", true,
                    "Ketch only: the leader promotes a learner to a voting member once it has stayed in sync with the "
                            + "leader for --experimental-auto-promote-learners-after (one at a time, never at the cost of "
                            + "a quorum of healthy voters)."),
            new Flag("experimental-auto-promote-learners-after", "10s", false,
                    "Ketch only: how long a learner must stay in sync before it is promoted automatically."),
            new Flag("heartbeat-interval", "100", false, "Time (in milliseconds) of a heartbeat interval."),
            new Flag("election-timeout", "1000", false, "Time (in milliseconds) for an election to timeout."),
            new Flag("snapshot-count", "100000", false,
                    "Number of committed transactions to trigger a snapshot to disk."),
            new Flag("experimental-snapshot-catchup-entries", "5000", false,
                    "Number of entries for a slow follower to catch up after compacting the raft storage entries."),
            new Flag("max-request-bytes", "1572864", false,
                    "Maximum client request size in bytes the server will accept."),
            new Flag("max-txn-ops", "128", false, "Maximum number of operations permitted in a transaction."),
            new Flag("quota-backend-bytes", "0", false,
                    "Raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB; negative disables)."),
            new Flag("experimental-watch-progress-notify-interval", "10m", false,
                    "Duration of periodical watch progress notification."),
            new Flag("logger", "zap", false, "Accepted for compatibility ('zap' or 'capnslog'); Ketch logs through JBoss Logging."),
            new Flag("log-level", "info", false, "Configures log level: debug, info, warn, error, panic, or fatal."),
            new Flag("log-outputs", "default", false, "Accepted for compatibility; logs go to stderr."),
            new Flag("version", "false", true, "Print the version and exit."));

    private static final Map<String, Flag> BY_NAME = new LinkedHashMap<>();

    static {
        for (Flag f : FLAGS) {
            BY_NAME.put(f.name(), f);
        }
    }

    /** A command line that etcd would also reject. */
    public static final class FlagException extends Exception {
        public FlagException(String message) {
            super(message);
        }
    }

    /** Outcome of parsing: either help was asked for, or the merged flag values. */
    public record Parsed(boolean help, Map<String, String> values) {}

    private EtcdFlags() {}

    /**
     * Parses Go-style flags ({@code -f v}, {@code --f v}, {@code --f=v}) over the environment.
     * Precedence as in etcd: a flag on the command line wins over {@code ETCD_<FLAG>}, which
     * wins over the default.
     */
    public static Parsed parse(String[] args, Map<String, String> env) throws FlagException {
        Map<String, String> values = new LinkedHashMap<>();
        for (Flag f : FLAGS) {
            String fromEnv = env.get(envName(f.name()));
            if (fromEnv != null) {
                values.put(f.name(), fromEnv);
            }
        }
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                positional.add(arg);
                continue;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            String value = null;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                value = body.substring(eq + 1);
                body = body.substring(0, eq);
            }
            if (body.equals("h") || body.equals("help")) {
                return new Parsed(true, values);
            }
            Flag flag = BY_NAME.get(body);
            if (flag == null) {
                throw new FlagException("flag provided but not defined: -" + body);
            }
            if (value == null) {
                if (flag.bool()) {
                    value = "true";
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new FlagException("flag needs an argument: -" + body);
                }
            }
            if (flag.bool() && !value.equals("true") && !value.equals("false")) {
                throw new FlagException("invalid boolean value \"" + value + "\" for -" + body);
            }
            values.put(flag.name(), value);
        }
        if (!positional.isEmpty()) {
            throw new FlagException("'" + positional.get(0) + "' is not a valid flag");
        }
        for (Flag f : FLAGS) {
            values.putIfAbsent(f.name(), f.defaultValue());
        }
        values.put("data-dir", values.get("data-dir").replace("${name}", values.get("name")));
        if (values.get("initial-cluster").isEmpty()) {
            // etcd's UpdateDefaultClusterFromName: a lone member named by --name alone.
            StringBuilder ic = new StringBuilder();
            for (String url : values.get("initial-advertise-peer-urls").split(",")) {
                ic.append(ic.isEmpty() ? "" : ",").append(values.get("name")).append('=').append(url.trim());
            }
            values.put("initial-cluster", ic.toString());
        }
        return new Parsed(false, values);
    }

    /** {@code data-dir} → {@code ETCD_DATA_DIR}. */
    public static String envName(String flag) {
        return "ETCD_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    public static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage:\n\n  ketch [flags]\n    Start a Ketch member (an etcd v3 compatible server).\n\n")
                .append("  ketch --version\n    Show the version of Ketch.\n\n")
                .append("  ketch snapshot restore <file> [--data-dir ...]\n")
                .append("    Turn a file saved with `etcdctl snapshot save` into a new member's data dir.\n\n")
                .append("  ketch -h | --help\n    Show this help.\n\n")
                .append("Flags (each may also be set as ETCD_<FLAG>, e.g. ETCD_DATA_DIR):\n\n");
        for (Flag f : FLAGS) {
            sb.append("  --").append(f.name());
            if (!f.bool()) {
                sb.append(" '").append(f.defaultValue()).append("'");
            }
            sb.append("\n      ").append(f.help()).append("\n");
        }
        return sb.toString();
    }
}
