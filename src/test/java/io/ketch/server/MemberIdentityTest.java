package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MemberIdentityTest {

    /** etcd 3.4.23 started with no flags reports member 8e9e05c52164694d in cluster cdf818194e3a8c32. */
    @Test
    void defaultFlagsGiveEtcdsDefaultIds() {
        MemberIdentity id = MemberIdentity.derive("default", "default=http://localhost:2380", "http://localhost:2380",
                "http://localhost:2379", "etcd-cluster");
        assertEquals("8e9e05c52164694d", MemberIdentity.hex(id.memberId()));
        assertEquals("cdf818194e3a8c32", MemberIdentity.hex(id.clusterId()));
        assertEquals(List.of("http://localhost:2379"), id.clientUrls());
    }

    @Test
    void tokenAndPeerUrlsChangeTheIds() {
        long a = MemberIdentity.memberId(List.of("http://localhost:2380"), "etcd-cluster");
        assertNotEquals(a, MemberIdentity.memberId(List.of("http://localhost:2380"), "other"));
        assertNotEquals(a, MemberIdentity.memberId(List.of("http://127.0.0.1:2380"), "etcd-cluster"));
    }

    @Test
    void peerUrlOrderDoesNotMatter() {
        assertEquals(MemberIdentity.memberId(List.of("http://a:1", "http://b:2"), "t"),
                MemberIdentity.memberId(List.of("http://b:2", "http://a:1"), "t"));
    }

    @Test
    void nameMissingFromInitialClusterIsRefusedAsEtcdDoes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemberIdentity.derive(
                "m1", "default=http://localhost:2380", "http://localhost:2380", "http://localhost:2379", "t"));
        assertEquals("couldn't find local name \"m1\" in the initial cluster configuration", e.getMessage());
    }

    @Test
    void advertisedPeerUrlsMustMatchTheInitialCluster() {
        assertThrows(IllegalArgumentException.class, () -> MemberIdentity.derive(
                "default", "default=http://localhost:2380", "http://localhost:9999", "http://localhost:2379", "t"));
    }

    @Test
    void malformedUrlIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> MemberIdentity.parseInitialCluster("a=localhost"));
    }
}
