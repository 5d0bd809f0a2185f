package io.ketch.apply;

import static io.ketch.apply.ApplierHarness.bs;
import static io.ketch.apply.ApplierHarness.errorOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ketch.alarm.AlarmStore;
import io.ketch.errors.EtcdError;
import io.ketch.pb.etcdserver.AlarmRequest;
import io.ketch.pb.etcdserver.AlarmResponse;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.internal.InternalRequest;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CappingApplierTest {
    static final long MEMBER = 0x8e9e05c52164694dL;

    @TempDir
    Path dir;

    ApplierHarness h;
    /** The backend size the quota sees: driven by the test. */
    final AtomicLong size = new AtomicLong(0);
    CappingApplier entries;

    @BeforeEach
    void open() {
        h = new ApplierHarness(dir.resolve("db"));
        entries = new CappingApplier(h.applier, AlarmStore.open(h.backend), BackendQuota.of(10_000, size::get));
    }

    @AfterEach
    void close() {
        h.close();
    }

    Object apply(InternalRequest.Builder r) {
        h.index++;
        return entries.apply(h.index, 1, r.setId(h.index).build());
    }

    InternalRequest.Builder put(String k, String v) {
        return InternalRequest.newBuilder().setPut(PutRequest.newBuilder().setKey(bs(k)).setValue(bs(v)));
    }

    InternalRequest.Builder alarm(AlarmRequest.AlarmAction action, AlarmType type) {
        return InternalRequest.newBuilder().setAlarm(AlarmRequest.newBuilder()
                .setAction(action).setMemberID(MEMBER).setAlarm(type));
    }

    @Test
    void alarmRequestsGoThroughTheApplierAndAdvanceTheConsistentIndex() {
        AlarmResponse r = (AlarmResponse) apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, AlarmType.NOSPACE));
        assertEquals(1, r.getAlarmsCount());
        assertEquals(MEMBER, r.getAlarms(0).getMemberID());
        assertEquals(1, h.store.consistentIndex());
        AlarmResponse list = (AlarmResponse) apply(alarm(AlarmRequest.AlarmAction.GET, AlarmType.NONE));
        assertEquals(r.getAlarmsList(), list.getAlarmsList());
        AlarmResponse off = (AlarmResponse) apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, AlarmType.NOSPACE));
        assertEquals(r.getAlarmsList(), off.getAlarmsList());
        AlarmResponse again = (AlarmResponse) apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, AlarmType.NOSPACE));
        assertEquals(0, again.getAlarmsCount(), "disarming what is not raised answers an empty list");
        assertEquals(4, h.store.consistentIndex());
    }

    @Test
    void whileNoSpaceIsRaisedWritesThatStoreDataFailAndChangeNothing() {
        apply(put("a", "1"));
        apply(put("b", "2"));
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, AlarmType.NOSPACE));
        long rev = h.store.currentRevision();

        assertEquals(EtcdError.NO_SPACE, errorOf(() -> apply(put("c", "3"))));
        assertEquals(EtcdError.NO_SPACE, errorOf(() -> apply(InternalRequest.newBuilder().setTxn(TxnRequest.newBuilder()
                .addSuccess(ApplierHarness.putOp("c", "3"))))));
        assertEquals(rev, h.store.currentRevision());
        assertNull(h.get("c"));
        assertEquals(h.index, h.store.consistentIndex(), "a refused entry still counts as applied");

        // deletes, txns without puts, compaction and reads still work
        apply(InternalRequest.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a"))));
        assertNull(h.get("a"));
        apply(InternalRequest.newBuilder().setTxn(TxnRequest.newBuilder().addSuccess(ApplierHarness.deleteOp("b", null))));
        assertNull(h.get("b"));
        apply(InternalRequest.newBuilder().setCompaction(CompactionRequest.newBuilder().setRevision(h.store.currentRevision())));
        assertEquals(h.store.currentRevision(), h.store.compactedRevision());

        apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, AlarmType.NOSPACE));
        apply(put("c", "3"));
        assertNotNull(h.get("c"), "disarmed: writes work again");
    }

    @Test
    void aWriteAppliedPastTheQuotaIsKeptButAnsweredWithTheSpaceError() {
        size.set(9_900); // 9900 + cost(256 + 1 + 1) >= 10000
        assertEquals(EtcdError.NO_SPACE, errorOf(() -> apply(put("k", "v"))));
        assertNotNull(h.get("k"), "etcd's quotaApplierV3 applies the put, then answers with the error");
        assertFalse(entries.alarms().isActive(AlarmType.NOSPACE), "the server raises the alarm, not the applier");
        apply(InternalRequest.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("k"))));
        assertNull(h.get("k"), "deleting is free, so it is never refused");
    }

    @Test
    void corruptAlarmRefusesEveryKvRequest() {
        apply(put("a", "1"));
        apply(alarm(AlarmRequest.AlarmAction.ACTIVATE, AlarmType.CORRUPT));
        assertEquals(EtcdError.CORRUPT, errorOf(() -> apply(put("b", "2"))));
        assertEquals(EtcdError.CORRUPT, errorOf(() -> apply(InternalRequest.newBuilder()
                .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a"))))));
        assertTrue(h.get("a") != null);
        apply(alarm(AlarmRequest.AlarmAction.DEACTIVATE, AlarmType.CORRUPT));
        apply(put("b", "2"));
        assertNotNull(h.get("b"));
    }
}
