package io.ketch.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.errors.EtcdError;
import io.ketch.mvcc.Backend;
import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.internal.MemberAttributes;
import io.ketch.pb.internal.MemberChange;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.pb.raft.ConfState;
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

    @Test
    void changesAreValidatedAsEtcdDoesAndSurviveAReopen(@TempDir Path dir) {
        Path file = dir.resolve("db");
        try (Backend backend = Backend.open(file)) {
            MembershipStore store = MembershipStore.open(backend);
            store.seedFounder(1, List.of("http://a:2380"));
            store.seedFounder(2, List.of("http://b:2380"));
            MemberChange learner = change(3, false, "http://c:2380");
            assertNull(store.validate(ConfChangeType.ADD_LEARNER_NODE, learner));
            store.apply(ConfChangeType.ADD_LEARNER_NODE, learner);
            assertEquals(ConfState.newBuilder().addVoters(1).addVoters(2).addLearners(3).build(), store.confState());

            assertEquals(EtcdError.MEMBER_EXIST, store.validate(ConfChangeType.ADD_NODE, change(3, false, "http://d:2380")));
            assertEquals(EtcdError.PEER_URL_EXIST, store.validate(ConfChangeType.ADD_NODE, change(4, false, "http://b:2380")));
            assertEquals(EtcdError.TOO_MANY_LEARNERS, store.validate(ConfChangeType.ADD_LEARNER_NODE,
                    change(4, false, "http://d:2380").toBuilder().setMember(Member.newBuilder().setID(4)
                            .addPeerURLs("http://d:2380").setIsLearner(true)).build()));
            assertEquals(EtcdError.MEMBER_NOT_LEARNER, store.validate(ConfChangeType.ADD_NODE, change(1, true)));
            assertEquals(EtcdError.MEMBER_NOT_FOUND, store.validate(ConfChangeType.ADD_NODE, change(9, true)));
            assertEquals(EtcdError.MEMBER_NOT_FOUND, store.validate(ConfChangeType.REMOVE_NODE, change(9, false)));
            assertEquals(EtcdError.MEMBER_NOT_FOUND, store.validate(ConfChangeType.UPDATE_NODE, change(9, false, "http://z:1")));
            assertEquals(EtcdError.PEER_URL_EXIST, store.validate(ConfChangeType.UPDATE_NODE, change(2, false, "http://a:2380")));
            assertNull(store.validate(ConfChangeType.UPDATE_NODE, change(2, false, "http://b:2380")), "its own URL is no conflict");

            store.apply(ConfChangeType.ADD_NODE, change(3, true));
            store.apply(ConfChangeType.UPDATE_NODE, change(2, false, "http://b2:2380"));
            store.apply(ConfChangeType.REMOVE_NODE, change(1, false));
            assertEquals(EtcdError.MEMBER_NOT_FOUND, store.validate(ConfChangeType.ADD_NODE, change(1, false, "http://a:2380")),
                    "a removed ID never comes back");
        }
        try (Backend backend = Backend.open(file)) {
            MembershipStore store = MembershipStore.open(backend);
            store.seedFounder(1, List.of("http://a:2380")); // a restart re-seeds founders: a removed one stays out
            assertEquals(ConfState.newBuilder().addVoters(2).addVoters(3).build(), store.confState());
            assertTrue(store.isRemoved(1));
            assertEquals(List.of("http://b2:2380"), store.get(2).getPeerURLsList());
            assertFalse(store.get(3).getIsLearner());
        }
    }

    private static MemberChange change(long id, boolean promote, String... peerUrls) {
        return MemberChange.newBuilder().setMember(Member.newBuilder().setID(id).addAllPeerURLs(List.of(peerUrls)))
                .setIsPromote(promote).build();
    }
}
