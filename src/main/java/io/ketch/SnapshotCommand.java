package io.ketch;

import io.ketch.server.MemberIdentity;
import io.ketch.server.SnapshotRestore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code ketch snapshot restore <file> [flags]}: turns a file saved with
 * {@code etcdctl snapshot save} from a Ketch member into the data dir of a new member, with
 * {@code etcdctl snapshot restore}'s flags and defaults. Exit codes are etcdctl's: 0, 1 for
 * a failed restore, 128 for a bad command line.
 */
final class SnapshotCommand {
    static final int EXIT_ERROR = 1;
    static final int EXIT_BAD_ARGS = 128;

    /** The flags of {@code etcdctl snapshot restore} that Ketch takes, with etcdctl's defaults. */
    private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("data-dir", "");
        DEFAULTS.put("wal-dir", "");
        DEFAULTS.put("name", "default");
        DEFAULTS.put("initial-cluster", "default=http://localhost:2380");
        DEFAULTS.put("initial-cluster-token", "etcd-cluster");
        DEFAULTS.put("initial-advertise-peer-urls", "http://localhost:2380");
    }

    private SnapshotCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !args[0].equals("restore")) {
            err.println("Error: unknown snapshot command; usage:\n" + usage());
            return EXIT_BAD_ARGS;
        }
        Map<String, String> flags = new LinkedHashMap<>(DEFAULTS);
        List<String> positional = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.print(usage());
                return 0;
            }
            if (!a.startsWith("-")) {
                positional.add(a);
                continue;
            }
            String name = a.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!DEFAULTS.containsKey(name)) {
                err.println("Error: unknown flag: --" + name);
                return EXIT_BAD_ARGS;
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    err.println("Error: flag needs an argument: --" + name);
                    return EXIT_BAD_ARGS;
                }
                value = args[++i];
            }
            flags.put(name, value);
        }
        if (positional.size() != 1) {
            err.println("Error: snapshot restore requires exactly one argument");
            return EXIT_BAD_ARGS;
        }
        String name = flags.get("name");
        Path dataDir = Path.of(flags.get("data-dir").isEmpty() ? name + ".ketch" : flags.get("data-dir"));
        Optional<Path> walDir = flags.get("wal-dir").isEmpty() ? Optional.empty() : Optional.of(Path.of(flags.get("wal-dir")));
        try {
            MemberIdentity identity = MemberIdentity.derive(name, flags.get("initial-cluster"),
                    flags.get("initial-advertise-peer-urls"), "http://localhost:2379", flags.get("initial-cluster-token"));
            SnapshotRestore.Result r = SnapshotRestore.restore(Path.of(positional.get(0)), dataDir, walDir, identity);
            out.printf("restored snapshot %s into %s: revision %d, compacted revision %d, member %s of cluster %s%n",
                    positional.get(0), dataDir, r.revision(), r.compactRevision(),
                    MemberIdentity.hex(identity.memberId()), MemberIdentity.hex(identity.clusterId()));
            return 0;
        } catch (IllegalArgumentException | IOException e) {
            err.println("Error: " + e.getMessage());
            return EXIT_ERROR;
        }
    }

    static String usage() {
        return """
                Usage:
                  ketch snapshot restore <filename> [flags]
                    Restores a file saved with `etcdctl snapshot save` from a Ketch member into a new data dir.

                Flags (etcdctl snapshot restore's):
                  --data-dir ''                           Path to the data directory (default: <name>.ketch)
                  --wal-dir ''                            Path to the WAL directory (default: <data-dir>/member/wal)
                  --name 'default'                        Human-readable name for this member
                  --initial-cluster 'default=http://localhost:2380'
                                                          Initial cluster configuration for restore bootstrap
                  --initial-cluster-token 'etcd-cluster'  Initial cluster token for the etcd cluster during restore bootstrap
                  --initial-advertise-peer-urls 'http://localhost:2380'
                                                          List of this member's peer URLs to advertise to the rest of the cluster
                """;
    }
}
