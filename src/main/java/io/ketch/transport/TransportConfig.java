package io.ketch.transport;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What the peer transport needs to know about the cluster.
 *
 * @param clusterId this member's cluster; requests carrying another cluster ID are refused
 * @param localId this member's ID
 * @param listenUrls the {@code --listen-peer-urls}: one listener per URL (http only for now)
 * @param peers the other members and their peer URLs (tried in turn when dialling)
 * @param snapshotDir where incoming snapshots are written (created if missing)
 */
public record TransportConfig(long clusterId, long localId, List<String> listenUrls,
        Map<Long, List<String>> peers, Path snapshotDir) {
    public TransportConfig {
        listenUrls = List.copyOf(listenUrls);
        peers = Map.copyOf(peers);
    }
}
