package io.ketch.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.mvcc.Backend;
import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.internal.MemberAttributes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MembershipStoreTest {
    @Test
    void foundersGetTheirPublishedAttributesAndSurviveAReopen(@TempDir Path dir) {
        Path file = dir.resolve("db");
        try (Backend backend = Backend.open(file)) {
            MembershipStore store = MembershipStore.open(backend);
            store.seedFounder(0x9000000000000001L, List.of("http://b:2380")); // above Long.MAX_VALUE: unsigned order
            store.seedFounder(2, List.of("http://a:2380"));
            assertTrue(store.applyAttributes(MemberAttributes.newBuilder().setMemberId(2).setName("a")
                    .addClientUrls("http://a:2379").build()));
            assertFalse(store.applyAttributes(MemberAttributes.newBuilder().setMemberId(3).setName("stranger").build()),
                    "an unknown member is ignored");
            store.seedFounder(2, List.of("http://other:2380")); // a restart re-seeds: the known member is kept
        }
        try (Backend backend = Backend.open(file)) {
            List<Member> members = MembershipStore.open(backend).list();
            assertEquals(List.of(
                    Member.newBuilder().setID(2).setName("a").addPeerURLs("http://a:2380").addClientURLs("http://a:2379").build(),
                    Member.newBuilder().setID(0x9000000000000001L).addPeerURLs("http://b:2380").build()), members);
        }
    }
}
