package io.ketch.server;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cluster and member IDs derived from the bootstrap flags exactly as etcd derives them,
 * so the same flags give the same IDs as etcd (the default single member is
 * {@code 8e9e05c52164694d} in cluster {@code cdf818194e3a8c32}) and restarts keep them.
 *
 * <p>member ID = first 8 bytes (big-endian) of SHA-1(sorted peer URLs joined + cluster token);
 * cluster ID = first 8 bytes of SHA-1(the sorted member IDs as 8-byte big-endian values).
 */
public record MemberIdentity(long clusterId, long memberId, String name, List<String> peerUrls,
                             List<String> clientUrls, List<InitialMember> initialCluster) {

    /** A founding member as {@code --initial-cluster} names it, with its derived ID. */
    public record InitialMember(long id, String name, List<String> peerUrls) {}

    /** Member name → its peer URLs, parsed from {@code --initial-cluster}. */
    public static Map<String, List<String>> parseInitialCluster(String initialCluster) {
        Map<String, List<String>> members = new LinkedHashMap<>();
        for (String part : initialCluster.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new IllegalArgumentException("invalid --initial-cluster entry: \"" + p + "\"");
            }
            String url = p.substring(eq + 1);
            validateUrl(url);
            members.computeIfAbsent(p.substring(0, eq), k -> new ArrayList<>()).add(url);
        }
        return members;
    }

    public static MemberIdentity fromConfig(ServerConfig cfg) {
        return derive(cfg.name(), cfg.initialCluster(), cfg.initialAdvertisePeerUrls(), cfg.advertiseClientUrls(),
                cfg.initialClusterToken());
    }

    /** Validates the bootstrap flags as etcd does and derives the IDs from them. */
    public static MemberIdentity derive(String name, String initialCluster, String advertisePeerUrls,
                                        String advertiseClientUrls, String token) {
        Map<String, List<String>> members = parseInitialCluster(initialCluster);
        if (!members.containsKey(name)) {
            throw new IllegalArgumentException("couldn't find local name \"" + name
                    + "\" in the initial cluster configuration");
        }
        List<String> advertised = splitUrls(advertisePeerUrls);
        List<String> own = members.get(name);
        if (!sorted(advertised).equals(sorted(own))) {
            throw new IllegalArgumentException("--initial-cluster has " + name + "=" + String.join(",", own)
                    + " but missing from --initial-advertise-peer-urls=" + String.join(",", advertised));
        }
        List<Long> ids = new ArrayList<>();
        List<InitialMember> initial = new ArrayList<>();
        Map<String, String> urlOwner = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> m : members.entrySet()) {
            for (String url : m.getValue()) {
                String other = urlOwner.putIfAbsent(url, m.getKey());
                if (other != null) {
                    // etcd's ValidateClusterAndAssignIDs refuses a URL shared by two members
                    throw new IllegalArgumentException("--initial-cluster has duplicate url " + url
                            + " (members " + other + " and " + m.getKey() + ")");
                }
            }
            long id = memberId(m.getValue(), token);
            ids.add(id);
            initial.add(new InitialMember(id, m.getKey(), List.copyOf(m.getValue())));
        }
        return new MemberIdentity(clusterId(ids), memberId(own, token), name, List.copyOf(own),
                splitUrls(advertiseClientUrls), List.copyOf(initial));
    }

    /** Formats members as {@code --initial-cluster} does: name=url,name=url. */
    public static String formatInitialCluster(List<InitialMember> members) {
        StringBuilder sb = new StringBuilder();
        for (InitialMember m : members) {
            for (String url : m.peerUrls()) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(m.name()).append('=').append(url);
            }
        }
        return sb.toString();
    }

    public static long memberId(List<String> peerUrls, String clusterToken) {
        String joined = String.join("", sorted(peerUrls));
        return first8(sha1((joined + clusterToken).getBytes(StandardCharsets.UTF_8)));
    }

    public static long clusterId(List<Long> memberIds) {
        // etcd sorts member IDs as unsigned 64-bit integers.
        long[] ids = memberIds.stream().sorted(Long::compareUnsigned).mapToLong(Long::longValue).toArray();
        ByteBuffer buf = ByteBuffer.allocate(8 * ids.length);
        for (long id : ids) {
            buf.putLong(id);
        }
        return first8(sha1(buf.array()));
    }

    public static List<String> splitUrls(String urls) {
        List<String> out = new ArrayList<>();
        for (String u : urls.split(",")) {
            if (!u.isBlank()) {
                validateUrl(u.trim());
                out.add(u.trim());
            }
        }
        return out;
    }

    static void validateUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid URL \"" + url + "\": " + e.getMessage());
        }
        if (uri.getScheme() == null || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("URL address does not have the form \"host:port\": " + url);
        }
    }

    private static List<String> sorted(List<String> l) {
        return l.stream().sorted().toList();
    }

    private static long first8(byte[] hash) {
        return ByteBuffer.wrap(hash, 0, 8).getLong();
    }

    private static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(long id) {
        return Long.toHexString(id);
    }
}
