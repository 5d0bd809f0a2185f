package io.ketch.alarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.mvcc.Backend;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlarmStoreTest {
    /** etcd's default member ID, 8e9e05c52164694d: above Long.MAX_VALUE as an unsigned number. */
    static final long MEMBER = 0x8e9e05c52164694dL;

    @TempDir
    Path dir;

    @Test
    void activateIsIdempotentAndListedByType() {
        try (Backend be = Backend.open(dir.resolve("db"))) {
            AlarmStore a = AlarmStore.open(be);
            assertFalse(a.isActive(AlarmType.NOSPACE));
            AlarmMember first = a.activate(MEMBER, AlarmType.NOSPACE);
            assertSame(first, a.activate(MEMBER, AlarmType.NOSPACE), "raising twice keeps the first alarm");
            a.activate(7, AlarmType.CORRUPT);
            assertTrue(a.isActive(AlarmType.NOSPACE));
            assertEquals(List.of(first), a.get(AlarmType.NOSPACE));
            assertEquals(2, a.get(AlarmType.NONE).size(), "NONE lists every type");
            assertEquals(AlarmType.NOSPACE, a.get(AlarmType.NONE).get(0).getAlarm(), "ordered by type");
        }
    }

    @Test
    void deactivateClearsOnlyThatMembersAlarm() {
        try (Backend be = Backend.open(dir.resolve("db"))) {
            AlarmStore a = AlarmStore.open(be);
            a.activate(1, AlarmType.NOSPACE);
            a.activate(2, AlarmType.NOSPACE);
            assertNull(a.deactivate(3, AlarmType.NOSPACE), "nothing raised for member 3");
            assertEquals(1, a.deactivate(1, AlarmType.NOSPACE).getMemberID());
            assertTrue(a.isActive(AlarmType.NOSPACE), "member 2's alarm remains");
            a.deactivate(2, AlarmType.NOSPACE);
            assertFalse(a.isActive(AlarmType.NOSPACE));
            assertTrue(a.get(AlarmType.NONE).isEmpty());
        }
    }

    @Test
    void alarmsSurviveReopeningTheBackendAsEtcdStoresThem() {
        Path f = dir.resolve("db");
        try (Backend be = Backend.open(f)) {
            AlarmStore a = AlarmStore.open(be);
            a.activate(MEMBER, AlarmType.NOSPACE);
            a.activate(5, AlarmType.CORRUPT);
            a.deactivate(5, AlarmType.CORRUPT);
        }
        try (Backend be = Backend.open(f)) {
            // etcd's record: key = marshaled AlarmMember, empty value
            AlarmMember m = AlarmMember.newBuilder().setMemberID(MEMBER).setAlarm(AlarmType.NOSPACE).build();
            assertEquals(0, be.get(AlarmStore.BUCKET, m.toByteArray()).length);
            AlarmStore a = AlarmStore.open(be);
            assertEquals(List.of(m), a.get(AlarmType.NONE));
        }
    }

    @Test
    void describeMatchesEtcdsCompactText() {
        AlarmMember m = AlarmMember.newBuilder().setMemberID(MEMBER).setAlarm(AlarmType.NOSPACE).build();
        // as etcd 3.4.23 prints it in `endpoint status` errors
        assertEquals("memberID:10276657743932975437 alarm:NOSPACE ", AlarmStore.describe(m));
        assertEquals("memberID:3 ", AlarmStore.describe(AlarmMember.newBuilder().setMemberID(3).build()));
    }
}
