package io.ketch.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.mvcc.Backend;
import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.internal.MemberAttributes;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster's members as etcd's {@code membership.RaftCluster} keeps them: ID, peer URLs
 * (known from the bootstrap or a membership change), and the name and client URLs each
 * member publishes through the log once it has started (empty until then, as etcd lists an
 * unstarted member). Kept in memory and in backend bucket {@value #BUCKET} (8-byte
 * big-endian ID → marshaled {@code etcdserverpb.Member}), so snapshots carry it.
 *
 * <p>Only the applier changes it ({@link #applyAttributes}); founders are seeded at open
 * from the identity file, which records them at the first start, because the bootstrap
 * membership is a Raft snapshot marker rather than log entries. Any thread may read.
 */
public final class MembershipStore {
    public static final String BUCKET = "members";

    private final Backend backend;
    /** ID (unsigned order) → member; guarded by this. */
    private final Map<Long, Member> members = new TreeMap<>(Long::compareUnsigned);

    private MembershipStore(Backend backend) {
        this.backend = backend;
    }

    /** Loads the members recorded in the backend. */
    public static MembershipStore open(Backend backend) {
        MembershipStore store = new MembershipStore(backend);
        Iterator<Map.Entry<byte[], byte[]>> it = backend.iterator(BUCKET, null, null);
        while (it.hasNext()) {
            Map.Entry<byte[], byte[]> e = it.next();
            try {
                Member m = Member.parseFrom(e.getValue());
                store.members.put(m.getID(), m);
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException("backend bucket " + BUCKET + " holds a record that is not a Member", ex);
            }
        }
        return store;
    }

    /** Adds a founding member unless it is already known (a restart, or a rebuilt backend). */
    public synchronized void seedFounder(long id, List<String> peerUrls) {
        if (!members.containsKey(id)) {
            put(Member.newBuilder().setID(id).addAllPeerURLs(peerUrls).build());
        }
    }

    /** Applies a published name and client URLs; an unknown member is ignored (etcd logs and skips it). */
    public synchronized boolean applyAttributes(MemberAttributes a) {
        Member m = members.get(a.getMemberId());
        if (m == null) {
            return false;
        }
        put(m.toBuilder().setName(a.getName()).clearClientURLs().addAllClientURLs(a.getClientUrlsList()).build());
        return true;
    }

    /** Every member, in ID order. */
    public synchronized List<Member> list() {
        return new ArrayList<>(members.values());
    }

    private void put(Member m) {
        members.put(m.getID(), m);
        backend.put(BUCKET, ByteBuffer.allocate(8).putLong(m.getID()).array(), m.toByteArray());
    }
}
