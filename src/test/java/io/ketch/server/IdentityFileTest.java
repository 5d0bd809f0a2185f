package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityFileTest {
    private static final String THREE = "m1=http://127.0.0.1:1,m2=http://127.0.0.1:2,m3=http://127.0.0.1:3";

    @Test
    void aRestartTakesTheClusterFromTheDataDirNotFromTheFlags(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identity");
        MemberIdentity first = MemberIdentity.derive("m2", THREE, "http://127.0.0.1:2", "http://127.0.0.1:12", "tok");
        assertEquals(first, IdentityFile.loadOrCreate(file, first));

        // restarted with other bootstrap flags: a one-member cluster under another token
        MemberIdentity flags = MemberIdentity.derive("m2", "m2=http://127.0.0.1:2", "http://127.0.0.1:2",
                "http://127.0.0.1:22", "other");
        MemberIdentity loaded = IdentityFile.loadOrCreate(file, flags);
        assertEquals(first.clusterId(), loaded.clusterId());
        assertEquals(first.memberId(), loaded.memberId());
        assertEquals(first.initialCluster(), loaded.initialCluster());
        assertEquals(List.of("http://127.0.0.1:22"), loaded.clientUrls(), "client URLs are not cluster state: the flags'");
    }

    @Test
    void anIdentityFileFromBeforeClustersIsTheMemberAlone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("identity");
        Files.writeString(file, "cluster-id=cdf818194e3a8c32\nmember-id=8e9e05c52164694d\nname=default\n"
                + "peer-urls=http://localhost:2380\n");
        MemberIdentity loaded = IdentityFile.loadOrCreate(file, MemberIdentity.derive("default",
                "default=http://localhost:2380", "http://localhost:2380", "http://localhost:2379", "etcd-cluster"));
        assertEquals(List.of(new MemberIdentity.InitialMember(0x8e9e05c52164694dL, "default",
                List.of("http://localhost:2380"))), loaded.initialCluster());
    }
}
