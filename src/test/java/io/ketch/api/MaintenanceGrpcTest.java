package io.ketch.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmRequest;
import io.ketch.pb.etcdserver.AlarmResponse;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.pb.etcdserver.DefragmentRequest;
import io.ketch.pb.etcdserver.DefragmentResponse;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.HashKVRequest;
import io.ketch.pb.etcdserver.KVGrpc;
import io.ketch.pb.etcdserver.MaintenanceGrpc;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.SnapshotRequest;
import io.ketch.pb.etcdserver.SnapshotResponse;
import io.ketch.pb.etcdserver.StatusRequest;
import io.ketch.pb.etcdserver.StatusResponse;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.mvcc.KeyValue;
import io.ketch.mvcc.MvccStore;
import io.ketch.server.MemberIdentity;
import io.ketch.server.MemberStorage;
import io.ketch.server.SnapshotRestore;
import io.ketch.snap.PortableSnapshot;
import io.quarkus.test.junit.QuarkusTest;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Maintenance through the generated gRPC stubs: alarms, Status errors, Defragment, Snapshot and its restore. */
@QuarkusTest
class MaintenanceGrpcTest extends GrpcClientFixture {
    @TempDir
    Path tmp;

    private KVGrpc.KVBlockingStub kv;
    private MaintenanceGrpc.MaintenanceBlockingStub maint;

    MaintenanceGrpcTest() {
        super("/m/");
    }

    @BeforeEach
    void stubs() {
        kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        maint = MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** Runs before the fixture shuts the channel down. */
    @AfterEach
    void deactivateAlarms() {
        // never leave an alarm behind for the other test classes sharing this server
        maint.alarm(alarmRequest(AlarmRequest.AlarmAction.DEACTIVATE, AlarmType.NOSPACE));
    }

    private void put(String key, String value) {
        kv.put(PutRequest.newBuilder().setKey(k(key)).setValue(ByteString.copyFromUtf8(value)).build());
    }

    private long memberId() {
        return maint.status(StatusRequest.getDefaultInstance()).getHeader().getMemberId();
    }

    private AlarmRequest alarmRequest(AlarmRequest.AlarmAction action, AlarmType type) {
        return AlarmRequest.newBuilder().setAction(action).setMemberID(memberId()).setAlarm(type).build();
    }

    @Test
    void noSpaceAlarmCapsWritesUntilDisarmedAndShowsInStatus() {
        put("a", "1");
        AlarmResponse raised = maint.alarm(alarmRequest(AlarmRequest.AlarmAction.ACTIVATE, AlarmType.NOSPACE));
        AlarmMember m = AlarmMember.newBuilder().setMemberID(memberId()).setAlarm(AlarmType.NOSPACE).build();
        assertEquals(List.of(m), raised.getAlarmsList());
        assertEquals(List.of(m), maint.alarm(AlarmRequest.getDefaultInstance()).getAlarmsList());
        StatusResponse st = maint.status(StatusRequest.getDefaultInstance());
        assertEquals(List.of("memberID:" + Long.toUnsignedString(memberId()) + " alarm:NOSPACE "), st.getErrorsList());

        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> put("b", "2"));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
        assertEquals("etcdserver: mvcc: database space exceeded", e.getStatus().getDescription());
        assertThrows(StatusRuntimeException.class, () -> kv.txn(TxnRequest.newBuilder()
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k("c")))).build()));
        // deletes and reads still work
        assertEquals(1, kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(k("a")).build()).getDeleted());
        assertEquals(0, kv.range(RangeRequest.newBuilder().setKey(k("b")).build()).getCount());

        AlarmResponse off = maint.alarm(alarmRequest(AlarmRequest.AlarmAction.DEACTIVATE, AlarmType.NOSPACE));
        assertEquals(List.of(m), off.getAlarmsList());
        assertEquals(0, maint.alarm(AlarmRequest.getDefaultInstance()).getAlarmsCount());
        assertEquals(0, maint.status(StatusRequest.getDefaultInstance()).getErrorsCount());
        put("b", "2");
    }

    @Test
    void defragmentKeepsDataAndAnswersLikeEtcd() {
        for (int i = 0; i < 200; i++) {
            put("d" + i, "v".repeat(1000));
        }
        long hash = maint.hashKV(HashKVRequest.getDefaultInstance()).getHash();
        DefragmentResponse r = maint.defragment(DefragmentRequest.getDefaultInstance());
        assertEquals(DefragmentResponse.getDefaultInstance(), r, "etcd answers an empty DefragmentResponse");
        assertEquals(hash, maint.hashKV(HashKVRequest.getDefaultInstance()).getHash());
        assertEquals(200, kv.range(RangeRequest.newBuilder().setKey(k("d")).setRangeEnd(k("e")).setCountOnly(true).build())
                .getCount());
    }

    @Test
    void snapshotIsAPointInTimeCopyThatRestoresToTheSameKeysAndRevision() throws Exception {
        for (int i = 0; i < 300; i++) {
            put(String.format("s%04d", i), "value-" + i + "-" + "x".repeat(200));
        }
        // writes keep coming while the snapshot is taken and streamed
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
            int i = 0;
            try {
                while (!stop.get()) {
                    put(String.format("w%06d", i++), "during snapshot");
                    written.incrementAndGet();
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        });
        writer.start();
        Path saved = tmp.resolve("snap.db");
        List<Long> remaining = new ArrayList<>();
        try (OutputStream out = Files.newOutputStream(saved)) {
            Iterator<SnapshotResponse> it = maint.snapshot(SnapshotRequest.getDefaultInstance());
            MessageDigest sha = PortableSnapshot.sha256();
            byte[] last = null;
            while (it.hasNext()) {
                SnapshotResponse r = it.next();
                if (last != null) {
                    sha.update(last);
                }
                last = r.getBlob().toByteArray();
                remaining.add(r.getRemainingBytes());
                out.write(last);
            }
            assertArrayEquals(sha.digest(), last, "the last message is the SHA-256 of the data before it");
            // let the writer get at least one more write in after the snapshot
            long seen = written.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (written.get() == seen && writerFailure.get() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertTrue(writerFailure.get() == null, () -> "writer failed: " + writerFailure.get());
        assertEquals(0L, remaining.get(remaining.size() - 1));
        assertEquals(0L, remaining.get(remaining.size() - 2), "the last data chunk leaves nothing after it");
        for (int i = 1; i < remaining.size() - 1; i++) {
            assertTrue(remaining.get(i) < remaining.get(i - 1), "remaining_bytes decreases");
        }
        assertEquals(32, Files.size(saved) % 512, "etcdctl accepts only a multiple of 512 bytes plus the hash");

        Path dataDir = tmp.resolve("restored");
        MemberIdentity id = MemberIdentity.derive("restored", "restored=http://127.0.0.1:12380",
                "http://127.0.0.1:12380", "http://127.0.0.1:12379", "another-token");
        SnapshotRestore.Result result = SnapshotRestore.restore(saved, dataDir, Optional.empty(), id);
        long rev = result.revision();
        long liveRev = kv.range(RangeRequest.newBuilder().setKey(k("none")).build()).getHeader().getRevision();
        assertTrue(liveRev > rev, "writes went on after the copy's revision " + rev + " (live: " + liveRev + ")");
        try (MemberStorage restored = MemberStorage.open(dataDir, Optional.empty())) {
            MvccStore store = restored.store();
            assertEquals(rev, store.currentRevision());
            // the new cluster identity from the restore flags wins over a later start's flags
            MemberIdentity loaded = restored.identity(MemberIdentity.derive("default", "default=http://localhost:2380",
                    "http://localhost:2380", "http://127.0.0.1:12379", "etcd-cluster"));
            assertEquals(List.of(id.clusterId(), id.memberId(), id.name()),
                    List.of(loaded.clusterId(), loaded.memberId(), loaded.name()));
            // the snapshot's own membership (this test member) is gone: only the flags' founders count
            assertEquals(List.of(), io.ketch.membership.MembershipStore.open(restored.backend()).list());
            // exactly the live store's state at that revision: same keys, same history hash
            RangeResponse live = kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("\0"))
                    .setRangeEnd(ByteString.copyFrom(new byte[] {0})).setRevision(rev).build());
            List<KeyValue> copy = store.range(new byte[] {0}, new byte[] {0}, 0, 0, false).kvs();
            assertEquals(live.getKvsList(), copy);
            assertEquals(maint.hashKV(HashKVRequest.newBuilder().setRevision(rev).build()).getHash(),
                    store.hashByRev(0).hash());
        }
    }
}
