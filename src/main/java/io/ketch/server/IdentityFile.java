package io.ketch.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Persists the member's cluster ID, member ID, name and the founding members (names, IDs,
 * peer URLs) the first time it starts; a restart takes them from here, not from the flags.
 */
final class IdentityFile {
    private IdentityFile() {}

    static MemberIdentity loadOrCreate(Path file, MemberIdentity fromFlags) throws IOException {
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            long memberId = Long.parseUnsignedLong(p.getProperty("member-id"), 16);
            String name = p.getProperty("name");
            List<String> peerUrls = List.of(p.getProperty("peer-urls").split(","));
            // Written by members before clusters existed: the member alone.
            String initial = p.getProperty("initial-cluster");
            List<MemberIdentity.InitialMember> founders = initial == null
                    ? List.of(new MemberIdentity.InitialMember(memberId, name, peerUrls))
                    : parseFounders(initial, p.getProperty("initial-cluster-ids"));
            return new MemberIdentity(Long.parseUnsignedLong(p.getProperty("cluster-id"), 16), memberId, name,
                    peerUrls, fromFlags.clientUrls(), founders);
        }
        List<String> ids = fromFlags.initialCluster().stream().map(m -> Long.toHexString(m.id())).toList();
        String text = "cluster-id=" + Long.toHexString(fromFlags.clusterId()) + "\n"
                + "member-id=" + Long.toHexString(fromFlags.memberId()) + "\n"
                + "name=" + fromFlags.name() + "\n"
                + "peer-urls=" + String.join(",", fromFlags.peerUrls()) + "\n"
                + "initial-cluster=" + MemberIdentity.formatInitialCluster(fromFlags.initialCluster()) + "\n"
                + "initial-cluster-ids=" + String.join(",", ids) + "\n";
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return fromFlags;
    }

    /** The founders in --initial-cluster order, with the IDs derived when the cluster was made. */
    private static List<MemberIdentity.InitialMember> parseFounders(String initialCluster, String idList) {
        if (initialCluster.isEmpty()) {
            return List.of(); // a member that joined a running cluster founded nothing
        }
        Map<String, List<String>> byName = MemberIdentity.parseInitialCluster(initialCluster);
        String[] ids = idList.split(",");
        if (ids.length != byName.size()) {
            throw new IllegalStateException("identity file: initial-cluster and initial-cluster-ids disagree");
        }
        List<MemberIdentity.InitialMember> out = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, List<String>> m : byName.entrySet()) {
            out.add(new MemberIdentity.InitialMember(Long.parseUnsignedLong(ids[i++], 16), m.getKey(), m.getValue()));
        }
        return out;
    }
}
