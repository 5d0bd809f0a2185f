package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MembershipChangesTest {
    @Test
    void aNewMemberGetsEtcdsIdForItsSortedPeerUrlsAndTheSecond() {
        // etcd's NewMember("", urls, "", now): SHA-1 over the sorted URLs, no cluster name, Unix seconds
        assertEquals(Long.parseUnsignedLong("110e931718b7c063", 16),
                MembershipChanges.newMemberId(List.of("http://10.0.0.1:2380", "http://10.0.0.2:2380"), 1_700_000_000L));
    }
}
