package io.ketch.server;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/**
 * The member's settings, under {@code ketch.*}. The launcher turns etcd's flags and
 * {@code ETCD_*} variables into these keys (see {@link EtcdFlags}); tests set them in
 * {@code application.properties}. Defaults are etcd's.
 */
@ConfigMapping(prefix = "ketch")
public interface ServerConfig {
    @WithDefault("default")
    String name();

    @WithDefault("default.ketch")
    String dataDir();

    Optional<String> walDir();

    @WithDefault("http://localhost:2379")
    String listenClientUrls();

    @WithDefault("http://localhost:2379")
    String advertiseClientUrls();

    @WithDefault("http://localhost:2380")
    String listenPeerUrls();

    @WithDefault("http://localhost:2380")
    String initialAdvertisePeerUrls();

    @WithDefault("default=http://localhost:2380")
    String initialCluster();

    @WithDefault("new")
    String initialClusterState();

    @WithDefault("etcd-cluster")
    String initialClusterToken();

    @WithDefault("100")
    long heartbeatInterval();

    @WithDefault("1000")
    long electionTimeout();

    @WithDefault("100000")
    long snapshotCount();

    /** The leader promotes learners that stay in sync (beyond etcd: its issue 15107). */
    @WithDefault("false")
    boolean experimentalAutoPromoteLearners();

    /** How long a learner must stay in sync before it is promoted automatically (a Go duration). */
    @WithDefault("10s")
    String experimentalAutoPromoteLearnersAfter();

    /** Refuse membership changes that would leave the cluster without a quorum of started members. */
    @WithDefault("true")
    boolean strictReconfigCheck();

    /** Entries kept in memory behind a snapshot for slow followers (etcd's --experimental-snapshot-catchup-entries). */
    @WithDefault("5000")
    long experimentalSnapshotCatchupEntries();

    @WithDefault("1572864")
    int maxRequestBytes();

    @WithDefault("128")
    int maxTxnOps();

    /** Backend space quota in bytes: 0 means etcd's default (2 GiB), negative disables it. */
    @WithDefault("0")
    long quotaBackendBytes();

    /** Go duration; etcd 3.4's --experimental-watch-progress-notify-interval. */
    @WithDefault("10m")
    String experimentalWatchProgressNotifyInterval();
}
