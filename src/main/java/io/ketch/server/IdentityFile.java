package io.ketch.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Properties;

/** Persists the member's cluster ID, member ID and name the first time it starts. */
final class IdentityFile {
    private IdentityFile() {}

    static MemberIdentity loadOrCreate(Path file, MemberIdentity fromFlags) throws IOException {
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            return new MemberIdentity(Long.parseUnsignedLong(p.getProperty("cluster-id"), 16),
                    Long.parseUnsignedLong(p.getProperty("member-id"), 16), p.getProperty("name"),
                    List.of(p.getProperty("peer-urls").split(",")), fromFlags.clientUrls());
        }
        String text = "cluster-id=" + Long.toHexString(fromFlags.clusterId()) + "\n"
                + "member-id=" + Long.toHexString(fromFlags.memberId()) + "\n"
                + "name=" + fromFlags.name() + "\n"
                + "peer-urls=" + String.join(",", fromFlags.peerUrls()) + "\n";
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return fromFlags;
    }
}
