package io.ketch.alarm;

import io.ketch.mvcc.Backend;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.protobuf.InvalidProtocolBufferException;

/**
 * The alarms raised in the cluster (etcd's v3alarm.AlarmStore): at most one alarm of each
 * type per member, kept in memory and in backend bucket {@value #BUCKET}, one record per
 * alarm whose key is the marshaled AlarmMember and whose value is empty, as etcd stores them.
 *
 * <p>Only the applier changes alarms ({@link #activate}, {@link #deactivate}), so every
 * member holds the same set; any thread may read them. Reads see the alarms in a fixed order
 * (type, then member ID) instead of etcd's random map order.
 */
public final class AlarmStore {
    public static final String BUCKET = "alarm";

    private static final Comparator<AlarmMember> ORDER = Comparator
            .comparingInt(AlarmMember::getAlarmValue)
            .thenComparing(AlarmMember::getMemberID, Long::compareUnsigned);

    private final Backend backend;
    /** alarm type number → member ID → alarm; guarded by this. */
    private final Map<Integer, Map<Long, AlarmMember>> byType = new TreeMap<>();

    private AlarmStore(Backend backend) {
        this.backend = backend;
    }

    /** Loads the alarms recorded in the backend (creating the bucket if needed). */
    public static AlarmStore open(Backend backend) {
        AlarmStore store = new AlarmStore(backend);
        Iterator<byte[]> keys = backend.keyIterator(BUCKET, null, null);
        while (keys.hasNext()) {
            byte[] k = keys.next();
            try {
                store.add(AlarmMember.parseFrom(k));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("backend bucket " + BUCKET + " holds a record that is not an AlarmMember", e);
            }
        }
        return store;
    }

    /**
     * Raises an alarm of a type for a member. Returns the alarm now active (the existing one
     * if it was raised before: activating twice changes nothing).
     */
    public synchronized AlarmMember activate(long memberId, AlarmType type) {
        AlarmMember existing = members(type.getNumber()).get(memberId);
        if (existing != null) {
            return existing;
        }
        AlarmMember m = AlarmMember.newBuilder().setMemberID(memberId).setAlarm(type).build();
        add(m);
        backend.put(BUCKET, m.toByteArray(), new byte[0]);
        return m;
    }

    /** Clears a member's alarm of a type; returns it, or null if it was not raised. */
    public synchronized AlarmMember deactivate(long memberId, AlarmType type) {
        AlarmMember m = members(type.getNumber()).remove(memberId);
        if (m != null) {
            backend.delete(BUCKET, m.toByteArray());
        }
        return m;
    }

    /** The active alarms of a type, or of every type for {@link AlarmType#NONE}. */
    public synchronized List<AlarmMember> get(AlarmType type) {
        List<AlarmMember> out = new ArrayList<>();
        if (type == AlarmType.NONE) {
            byType.values().forEach(t -> out.addAll(t.values()));
        } else {
            out.addAll(members(type.getNumber()).values());
        }
        out.sort(ORDER);
        return out;
    }

    /** True if any member has an alarm of this type raised. */
    public synchronized boolean isActive(AlarmType type) {
        Map<Long, AlarmMember> t = byType.get(type.getNumber());
        return t != null && !t.isEmpty();
    }

    private void add(AlarmMember m) {
        members(m.getAlarmValue()).putIfAbsent(m.getMemberID(), m);
    }

    private Map<Long, AlarmMember> members(int type) {
        return byType.computeIfAbsent(type, t -> new TreeMap<>(Long::compareUnsigned));
    }

    /**
     * An alarm as etcd prints it in Status errors: the protobuf compact text form, e.g.
     * {@code "memberID:10276657743932975437 alarm:NOSPACE "} (fields left at their default are
     * left out; each field is followed by a space, as gogoproto's CompactTextString).
     */
    public static String describe(AlarmMember m) {
        StringBuilder sb = new StringBuilder();
        if (m.getMemberID() != 0) {
            sb.append("memberID:").append(Long.toUnsignedString(m.getMemberID())).append(' ');
        }
        if (m.getAlarmValue() != 0) {
            sb.append("alarm:").append(m.getAlarm() == AlarmType.UNRECOGNIZED
                    ? Integer.toString(m.getAlarmValue()) : m.getAlarm().name()).append(' ');
        }
        return sb.toString();
    }
}
