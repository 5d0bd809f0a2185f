package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /**
     * Three etcd 3.4.23 members started with --initial-cluster m1=http://127.0.0.1:23801,
     * m2=...:23802, m3=...:23803 and --initial-cluster-token tok reported these IDs
     * (etcdctl member list -w json).
     */
    @Test
    void threeMemberFlagsGiveEtcdsIds() {
        String cluster = "m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803";
        MemberIdentity m2 = MemberIdentity.derive("m2", cluster, "http://127.0.0.1:23802", "http://127.0.0.1:23792", "tok");
        assertEquals(7266900810802666328L, m2.clusterId());
        assertEquals(2825987797056917605L, m2.memberId());
        assertEquals(List.of("4036b1db24775ea0", "2737ecedbf2a9065", "80af5d65a6e2f603"),
                m2.initialCluster().stream().map(m -> MemberIdentity.hex(m.id())).toList());
    }

    @Test
    void aPeerUrlSharedByTwoMembersIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemberIdentity.derive("a",
                "a=http://127.0.0.1:1,b=http://127.0.0.1:1", "http://127.0.0.1:1", "http://127.0.0.1:2", "t"));
        assertTrue(e.getMessage().contains("duplicate url"), e.getMessage());
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
