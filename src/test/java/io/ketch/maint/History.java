package io.ketch.maint;

import com.google.protobuf.ByteString;
import io.ketch.pb.etcdserver.CompactionRequest;
import io.ketch.pb.etcdserver.Compare;
import io.ketch.pb.etcdserver.DeleteRangeRequest;
import io.ketch.pb.etcdserver.PutRequest;
import io.ketch.pb.etcdserver.RequestOp;
import io.ketch.pb.etcdserver.TxnRequest;
import java.util.Random;

/**
 * A seeded random sequence of KV mutations (puts of varied sizes, empty values, overwrites,
 * single and range deletes, txns with compares, puts and deletes, compactions), to run the
 * same history against two servers.
 */
final class History {
    /** One mutation; exactly one field is set. */
    record Op(PutRequest put, DeleteRangeRequest delete, TxnRequest txn, CompactionRequest compaction) {}

    private final Random rnd;
    private long compactedUpTo;

    History(long seed) {
        rnd = new Random(seed);
    }

    private ByteString key() {
        return ByteString.copyFromUtf8("h/" + (char) ('a' + rnd.nextInt(6)) + "/" + rnd.nextInt(8));
    }

    private ByteString value() {
        int n = switch (rnd.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 4000 + rnd.nextInt(4000);
            default -> rnd.nextInt(200);
        };
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return ByteString.copyFrom(b);
    }

    private PutRequest put() {
        return PutRequest.newBuilder().setKey(key()).setValue(value()).build();
    }

    private DeleteRangeRequest delete() {
        if (rnd.nextInt(4) == 0) {
            char c = (char) ('a' + rnd.nextInt(6));
            return DeleteRangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("h/" + c + "/"))
                    .setRangeEnd(ByteString.copyFromUtf8("h/" + c + "/" + rnd.nextInt(9))).build();
        }
        return DeleteRangeRequest.newBuilder().setKey(key()).build();
    }

    /** The next mutation, given the servers' current revision (for compactions). */
    Op next(long currentRevision) {
        int r = rnd.nextInt(100);
        if (r < 50) {
            return new Op(put(), null, null, null);
        }
        if (r < 68) {
            return new Op(null, delete(), null, null);
        }
        if (r < 96) {
            TxnRequest.Builder t = TxnRequest.newBuilder().addCompare(Compare.newBuilder().setKey(key())
                    .setTarget(Compare.CompareTarget.VERSION).setResult(Compare.CompareResult.GREATER).setVersion(1));
            // distinct keys per branch (etcd refuses duplicates)
            java.util.Set<ByteString> used = new java.util.HashSet<>();
            for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
                PutRequest p = put();
                if (used.add(p.getKey())) {
                    t.addSuccess(RequestOp.newBuilder().setRequestPut(p));
                }
            }
            DeleteRangeRequest d = DeleteRangeRequest.newBuilder().setKey(key()).build();
            if (used.add(d.getKey())) {
                t.addFailure(RequestOp.newBuilder().setRequestDeleteRange(d));
            }
            return new Op(null, null, t.build(), null);
        }
        if (currentRevision - 2 > compactedUpTo) {
            long rev = compactedUpTo + 1 + rnd.nextInt((int) (currentRevision - 1 - compactedUpTo));
            compactedUpTo = rev;
            return new Op(null, null, null, CompactionRequest.newBuilder().setRevision(rev).setPhysical(true).build());
        }
        return new Op(put(), null, null, null);
    }

    long compactedUpTo() {
        return compactedUpTo;
    }
}
