package io.ketch.membership;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ketch.errors.EtcdError;
import io.ketch.mvcc.Backend;
import io.ketch.pb.etcdserver.Member;
import io.ketch.pb.internal.MemberAttributes;
import io.ketch.pb.internal.MemberChange;
import io.ketch.pb.raft.ConfChangeType;
import io.ketch.pb.raft.ConfState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The cluster's members as etcd's {@code membership.RaftCluster} keeps them: ID, peer URLs
 * and learner flag (known from the bootstrap or a membership change), and the name and client
 * URLs each member publishes through the log once it has started (empty until then, as etcd
 * lists an unstarted member). Kept in memory and in backend buckets {@value #BUCKET} (8-byte
 * big-endian ID → marshaled {@code etcdserverpb.Member}) and {@value #REMOVED_BUCKET} (IDs of
 * removed members, which may never come back), so snapshots carry both.
 *
 * <p>Only the applier changes it, in log order; founders are seeded at open from the
 * identity file, which records them at the first start, because the bootstrap membership is
 * a Raft snapshot marker rather than log entries. Any thread may read.
 */
public final class MembershipStore {
    public static final String BUCKET = "members";
    public static final String REMOVED_BUCKET = "members_removed";
    private static final byte[] PRESENT = new byte[] {1};

    /** etcd allows one learner at a time (membership.maxLearners). */
    public static final int MAX_LEARNERS = 1;

    private final Backend backend;
    /** ID (unsigned order) → member; guarded by this. */
    private final Map<Long, Member> members = new TreeMap<>(Long::compareUnsigned);
    /** IDs of removed members; guarded by this. */
    private final Set<Long> removed = new HashSet<>();

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
        Iterator<Map.Entry<byte[], byte[]>> gone = backend.iterator(REMOVED_BUCKET, null, null);
        while (gone.hasNext()) {
            store.removed.add(ByteBuffer.wrap(gone.next().getKey()).getLong());
        }
        return store;
    }

    /** Adds a founding member unless it is already known or was removed (a restart, or a rebuilt backend). */
    public synchronized void seedFounder(long id, List<String> peerUrls) {
        if (!members.containsKey(id) && !removed.contains(id)) {
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

    /**
     * Checks a membership change against the members now, as etcd's
     * {@code ValidateConfigurationChange} does on applying it; every member applies the same
     * log to the same membership, so all reach the same verdict.
     *
     * @return null if the change may be applied, else the error its proposer gets
     */
    public synchronized EtcdError validate(ConfChangeType type, MemberChange change) {
        long id = change.getMember().getID();
        if (removed.contains(id)) {
            return EtcdError.MEMBER_NOT_FOUND; // etcd's ErrIDRemoved, reported as not found
        }
        Member existing = members.get(id);
        switch (type) {
            case ADD_NODE, ADD_LEARNER_NODE -> {
                if (change.getIsPromote()) {
                    if (existing == null) {
                        return EtcdError.MEMBER_NOT_FOUND;
                    }
                    return existing.getIsLearner() ? null : EtcdError.MEMBER_NOT_LEARNER;
                }
                if (existing != null) {
                    return EtcdError.MEMBER_EXIST;
                }
                if (peerUrlTaken(change.getMember().getPeerURLsList(), 0)) {
                    return EtcdError.PEER_URL_EXIST;
                }
                if (change.getMember().getIsLearner() && learnerCount() + 1 > MAX_LEARNERS) {
                    return EtcdError.TOO_MANY_LEARNERS;
                }
                return null;
            }
            case REMOVE_NODE -> {
                return existing == null ? EtcdError.MEMBER_NOT_FOUND : null;
            }
            case UPDATE_NODE -> {
                if (existing == null) {
                    return EtcdError.MEMBER_NOT_FOUND;
                }
                return peerUrlTaken(change.getMember().getPeerURLsList(), id) ? EtcdError.PEER_URL_EXIST : null;
            }
            default -> throw new IllegalArgumentException("unknown membership change " + type);
        }
    }

    /** Applies a change {@link #validate} accepted. */
    public synchronized void apply(ConfChangeType type, MemberChange change) {
        long id = change.getMember().getID();
        switch (type) {
            case ADD_NODE, ADD_LEARNER_NODE -> {
                if (change.getIsPromote()) {
                    put(members.get(id).toBuilder().setIsLearner(false).build());
                } else {
                    put(Member.newBuilder().setID(id).addAllPeerURLs(sortedUrls(change.getMember()))
                            .setIsLearner(type == ConfChangeType.ADD_LEARNER_NODE).build());
                }
            }
            case REMOVE_NODE -> {
                members.remove(id);
                byte[] key = key(id);
                backend.delete(BUCKET, key);
                removed.add(id);
                backend.put(REMOVED_BUCKET, key, PRESENT);
            }
            case UPDATE_NODE -> put(members.get(id).toBuilder().clearPeerURLs()
                    .addAllPeerURLs(sortedUrls(change.getMember())).build());
            default -> throw new IllegalArgumentException("unknown membership change " + type);
        }
    }

    /** Every member, in ID order. */
    public synchronized List<Member> list() {
        return new ArrayList<>(members.values());
    }

    public synchronized Member get(long id) {
        return members.get(id);
    }

    public synchronized boolean isRemoved(long id) {
        return removed.contains(id);
    }

    /** The Raft membership these members make: voters and learners. */
    public synchronized ConfState confState() {
        ConfState.Builder cs = ConfState.newBuilder();
        for (Member m : members.values()) {
            if (m.getIsLearner()) {
                cs.addLearners(m.getID());
            } else {
                cs.addVoters(m.getID());
            }
        }
        return cs.build();
    }

    private boolean peerUrlTaken(List<String> urls, long except) {
        for (Member m : members.values()) {
            if (m.getID() != except && m.getPeerURLsList().stream().anyMatch(urls::contains)) {
                return true;
            }
        }
        return false;
    }

    private int learnerCount() {
        return (int) members.values().stream().filter(Member::getIsLearner).count();
    }

    /** etcd keeps a member's peer URLs sorted. */
    private static List<String> sortedUrls(Member m) {
        return m.getPeerURLsList().stream().sorted().toList();
    }

    private static byte[] key(long id) {
        return ByteBuffer.allocate(8).putLong(id).array();
    }

    private void put(Member m) {
        members.put(m.getID(), m);
        backend.put(BUCKET, key(m.getID()), m.toByteArray());
    }
}
