package io.ketch.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.ketch.pb.etcdserver.ClusterGrpc;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.DeleteRangeResponse;
import io.ketch.pb.etcdserver.KVGrpc;
import io.ketch.pb.etcdserver.MaintenanceGrpc;
import io.ketch.pb.etcdserver.MemberAddRequest;
import io.ketch.pb.etcdserver.MemberListRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.PutResponse;
import io.ketch.pb.etcdserver.RangeRequest;
import io.ketch.pb.etcdserver.RangeResponse;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.ResponseHeader;
import io.ketch.pb.etcdserver.StatusRequest;
import io.ketch.pb.etcdserver.StatusResponse;
import io.ketch.pb.etcdserver.TxnRequest;
import io.ketch.pb.etcdserver.TxnResponse;
import io.quarkus.test.junit.QuarkusTest;
import java.util.concurrent.TimeUnit;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The KV service through the generated gRPC stubs, on the shared HTTP/gRPC port. */
@QuarkusTest
class KvGrpcTest extends GrpcClientFixture {
    private KVGrpc.KVBlockingStub kv;

    KvGrpcTest() {
        super("/t/");
    }

    @BeforeEach
    void stubs() {
        kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ByteString b(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private PutResponse put(String key, String value) {
        return kv.put(PutRequest.newBuilder().setKey(k(key)).setValue(b(value)).build());
    }

    private long currentRevision() {
        return kv.range(RangeRequest.newBuilder().setKey(b("\0")).setCountOnly(true).build()).getHeader().getRevision();
    }

    @Test
    void everyHeaderCarriesClusterMemberRevisionAndTerm() {
        PutResponse p = put("a", "1");
        ResponseHeader h = p.getHeader();
        assertEquals(0xcdf818194e3a8c32L, h.getClusterId());
        assertEquals(0x8e9e05c52164694dL, h.getMemberId());
        assertTrue(h.getRevision() > 1);
        assertTrue(h.getRaftTerm() > 0);
        RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(k("a")).build());
        assertEquals(h.getRevision(), r.getHeader().getRevision());
        assertEquals(h.getClusterId(), r.getHeader().getClusterId());
    }

    @Test
    void eachPutAddsOneRevisionAndVersionsCount() {
        long r1 = put("a", "1").getHeader().getRevision();
        long r2 = put("a", "2").getHeader().getRevision();
        assertEquals(r1 + 1, r2);
        RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(k("a")).build());
        assertEquals(1, r.getCount());
        assertEquals("2", r.getKvs(0).getValue().toStringUtf8());
        assertEquals(r1, r.getKvs(0).getCreateRevision());
        assertEquals(r2, r.getKvs(0).getModRevision());
        assertEquals(2, r.getKvs(0).getVersion());
    }

    @Test
    void deletingNothingAddsNoRevision() {
        long before = currentRevision();
        DeleteRangeResponse d = kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(k("missing")).build());
        assertEquals(0, d.getDeleted());
        assertEquals(before, d.getHeader().getRevision());
        assertEquals(before, currentRevision());
    }

    @Test
    void prefixRangeWithLimitReportsMoreAndCount() {
        for (int i = 0; i < 5; i++) {
            put("p/" + i, "v" + i);
        }
        RangeResponse r = kv.range(RangeRequest.newBuilder().setKey(k("p/")).setRangeEnd(k("p0")).setLimit(2).build());
        assertEquals(2, r.getKvsCount());
        assertEquals(5, r.getCount());
        assertTrue(r.getMore());
        assertEquals(prefix + "p/0", r.getKvs(0).getKey().toStringUtf8());
    }

    @Test
    void txnTakesTheBranchItsComparesSelect() {
        put("t", "x");
        TxnRequest txn = TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder().setKey(k("t")).setTarget(Compare.CompareTarget.VALUE)
                        .setResult(Compare.CompareResult.EQUAL).setValue(b("x")))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k("t")).setValue(b("y"))))
                .addFailure(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k("t")).setValue(b("z"))))
                .build();
        TxnResponse first = kv.txn(txn);
        assertTrue(first.getSucceeded());
        TxnResponse second = kv.txn(txn);
        assertFalse(second.getSucceeded());
        assertEquals("z", kv.range(RangeRequest.newBuilder().setKey(k("t")).build()).getKvs(0).getValue().toStringUtf8());
    }

    @Test
    void badInputGetsEtcdsErrorsAndChangesNothing() {
        long before = currentRevision();
        assertEtcdError(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided",
                () -> kv.put(PutRequest.newBuilder().setValue(b("v")).build()));
        assertEtcdError(Status.Code.NOT_FOUND, "etcdserver: requested lease not found",
                () -> kv.put(PutRequest.newBuilder().setKey(k("l")).setLease(42).build()));
        TxnRequest.Builder tooMany = TxnRequest.newBuilder();
        for (int i = 0; i < 129; i++) {
            tooMany.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k("m" + i))));
        }
        assertEtcdError(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request",
                () -> kv.txn(tooMany.build()));
        TxnRequest dup = TxnRequest.newBuilder()
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k("d"))))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(k("d"))))
                .build();
        assertEtcdError(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request",
                () -> kv.txn(dup));
        ByteString big = ByteString.copyFrom(new byte[1536 * 1024 + 1]);
        assertEtcdError(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large",
                () -> kv.put(PutRequest.newBuilder().setKey(k("big")).setValue(big).build()));
        assertEquals(before, currentRevision());
    }

    @Test
    void readsBeyondTheCurrentRevisionOrBeforeCompactionFail() {
        long rev = put("c", "1").getHeader().getRevision();
        put("c", "2");
        assertEtcdError(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision",
                () -> kv.range(RangeRequest.newBuilder().setKey(k("c")).setRevision(rev + 1000).build()));
        assertEquals("1", kv.range(RangeRequest.newBuilder().setKey(k("c")).setRevision(rev).build())
                .getKvs(0).getValue().toStringUtf8());
        kv.compact(CompactionRequest.newBuilder().setRevision(rev + 1).setPhysical(true).build());
        assertEtcdError(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted",
                () -> kv.range(RangeRequest.newBuilder().setKey(k("c")).setRevision(rev).build()));
        assertEquals("2", kv.range(RangeRequest.newBuilder().setKey(k("c")).build()).getKvs(0).getValue().toStringUtf8());
    }

    @Test
    void statusAndMemberListDescribeThisMember() {
        long rev = put("s", "1").getHeader().getRevision();
        StatusResponse s = MaintenanceGrpc.newBlockingStub(channel).status(StatusRequest.getDefaultInstance());
        assertEquals(0x8e9e05c52164694dL, s.getLeader());
        assertTrue(s.getRaftIndex() >= s.getRaftAppliedIndex() && s.getRaftAppliedIndex() > 0);
        assertTrue(s.getDbSize() > 0);
        assertTrue(s.getHeader().getRevision() >= rev);
        assertTrue(s.getVersion().startsWith("3.5"));
        var members = ClusterGrpc.newBlockingStub(channel).memberList(MemberListRequest.getDefaultInstance());
        assertEquals(1, members.getMembersCount());
        assertEquals("default", members.getMembers(0).getName());
    }

    @Test
    void rpcsNotBuiltYetAnswerUnimplementedNamingTheRpc() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> MaintenanceGrpc.newBlockingStub(channel).hash(io.ketch.pb.etcdserver.HashRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("Maintenance.Hash"), e.getStatus().getDescription());
    }

    @Test
    void memberAddWithoutValidPeerUrlsIsRefusedAndChangesNothing() {
        for (List<String> urls : List.of(List.<String>of(), List.of("foo"), List.of("http://a:1/path"), List.of("ftp://a:1"))) {
            assertEtcdError(Status.Code.INVALID_ARGUMENT, "etcdserver: given member URLs are invalid",
                    () -> ClusterGrpc.newBlockingStub(channel).memberAdd(MemberAddRequest.newBuilder()
                            .addAllPeerURLs(urls).build()));
        }
        assertEquals(1, ClusterGrpc.newBlockingStub(channel).memberList(MemberListRequest.getDefaultInstance())
                .getMembersCount());
    }
}
