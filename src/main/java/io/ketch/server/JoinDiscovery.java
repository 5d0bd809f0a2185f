package io.ketch.server;

import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.etcdserver.MemberListResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * How a member started with {@code --initial-cluster-state existing} learns who it is: as
 * etcd's {@code GetClusterFromRemotePeers} and {@code ValidateClusterAndAssignIDs} do, it asks
 * the other members named in {@code --initial-cluster} for the cluster's member list (peer
 * endpoint {@code GET /members}), checks that the list matches the flags (same number of
 * members, every member's peer URLs in the flags), and takes its member ID and the cluster ID
 * from the running cluster. Runs once at start, before anything is written.
 */
final class JoinDiscovery {
    private static final Logger LOG = Logger.getLogger(JoinDiscovery.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    /** The joining member's identity and the cluster's members as the cluster lists them. */
    record Joined(MemberIdentity identity, List<Member> members) {}

    private JoinDiscovery() {}

    static Joined join(ServerConfig config) {
        MemberIdentity fromFlags = MemberIdentity.fromConfig(config);
        MemberListResponse remote = fetch(fromFlags);
        List<Member> existing = remote.getMembersList();
        Map<String, List<String>> local = MemberIdentity.parseInitialCluster(config.initialCluster());
        String described = existing.stream().map(m -> Long.toHexString(m.getID()) + "=" + m.getPeerURLsList())
                .collect(Collectors.joining(",", "[", "]"));
        if (existing.size() != local.size()) {
            throw new IllegalStateException("error validating peerURLs " + described + ": member count is unequal");
        }
        long self = 0;
        for (Member m : existing) {
            List<String> urls = sorted(m.getPeerURLsList());
            String name = local.entrySet().stream().filter(e -> sorted(e.getValue()).equals(urls))
                    .map(Map.Entry::getKey).findFirst().orElseThrow(() -> new IllegalStateException(
                            "error validating peerURLs " + described + ": PeerURLs: no match found for existing member ("
                                    + Long.toHexString(m.getID()) + ", " + m.getPeerURLsList() + ")"));
            if (name.equals(fromFlags.name())) {
                self = m.getID();
            }
        }
        if (self == 0) {
            throw new IllegalStateException("member " + fromFlags.name() + " " + fromFlags.peerUrls()
                    + " is not in the running cluster's member list " + described + "; add it first (etcdctl member add)");
        }
        long clusterId = remote.getHeader().getClusterId();
        LOG.infof("joining cluster %s as member %s (found %d members)", Long.toHexString(clusterId),
                Long.toHexString(self), existing.size());
        MemberIdentity identity = new MemberIdentity(clusterId, self, fromFlags.name(), fromFlags.peerUrls(),
                fromFlags.clientUrls(), List.of());
        return new Joined(identity, existing);
    }

    /** Asks each other member in the flags, in turn, for the member list. */
    private static MemberListResponse fetch(MemberIdentity fromFlags) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
        List<String> tried = new ArrayList<>();
        for (MemberIdentity.InitialMember m : fromFlags.initialCluster()) {
            if (m.name().equals(fromFlags.name())) {
                continue;
            }
            for (String url : m.peerUrls()) {
                tried.add(url);
                try {
                    HttpResponse<byte[]> resp = http.send(HttpRequest.newBuilder(URI.create(url + "/members"))
                            .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (resp.statusCode() == 200) {
                        return MemberListResponse.parseFrom(resp.body());
                    }
                    LOG.warnf("could not get the cluster's members from %s: HTTP %d", url, resp.statusCode());
                } catch (IOException e) {
                    LOG.warnf("could not get the cluster's members from %s: %s", url, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while asking peers for the cluster's members", e);
                }
            }
        }
        throw new IllegalStateException("cannot fetch cluster info from peer urls: could not retrieve cluster "
                + "information from the given URLs " + tried);
    }

    private static List<String> sorted(List<String> urls) {
        return urls.stream().sorted().toList();
    }
}
