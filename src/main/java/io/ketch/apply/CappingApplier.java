package io.ketch.apply;

import io.ketch.alarm.AlarmStore;
import io.ketch.errors.EtcdError;
import io.ketch.mvcc.MvccStore;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmRequest;
import io.ketch.pb.etcdserver.AlarmResponse;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.pb.internal.InternalRequest;

/**
 * The applier of every committed entry: applies alarm requests itself and hands the rest to
 * the KV {@link Applier}, guarded as etcd's applier chain guards it:
 * <ul>
 *   <li>while a NOSPACE alarm is raised, a request that would store data (a put, a txn with
 *       a put) fails with {@code etcdserver: mvcc: database space exceeded} and changes
 *       nothing (etcd's applierV3Capped); deletes, compactions and reads still work;</li>
 *   <li>while a CORRUPT alarm is raised, every KV request fails with
 *       {@code etcdserver: corrupt cluster} (etcd's applierV3Corrupt);</li>
 *   <li>a data-storing request applied while the backend is already past its quota is
 *       applied, then answered with the space error (etcd's quotaApplierV3), which makes the
 *       server raise the NOSPACE alarm.</li>
 * </ul>
 * Deterministic given the same entries, except for the last point, which depends on the
 * local file size and changes only the answer, never the state. Runs on the applier thread.
 */
public final class CappingApplier {
    private static final System.Logger LOG = System.getLogger(CappingApplier.class.getName());

    private final Applier kv;
    private final MvccStore store;
    private final AlarmStore alarms;
    private final BackendQuota quota;

    public CappingApplier(Applier kv, AlarmStore alarms, BackendQuota quota) {
        this.kv = kv;
        this.store = kv.store();
        this.alarms = alarms;
        this.quota = quota;
    }

    public AlarmStore alarms() {
        return alarms;
    }

    /** Applies one committed entry: returns its response or throws the EtcdException etcd would return. */
    public Object apply(long raftIndex, long raftTerm, InternalRequest req) {
        InternalRequest.RequestCase kind = req.getRequestCase();
        if (kind == InternalRequest.RequestCase.ALARM) {
            try {
                return applyAlarm(req.getAlarm());
            } finally {
                store.setConsistentIndex(raftIndex, raftTerm);
            }
        }
        if (kind != InternalRequest.RequestCase.REQUEST_NOT_SET && alarms.isActive(AlarmType.CORRUPT)) {
            store.setConsistentIndex(raftIndex, raftTerm);
            throw EtcdError.CORRUPT.exception();
        }
        long cost = BackendQuota.cost(req);
        if (cost > 0 && alarms.isActive(AlarmType.NOSPACE)) {
            store.setConsistentIndex(raftIndex, raftTerm);
            throw EtcdError.NO_SPACE.exception();
        }
        boolean fits = quota.available(req);
        Object response = kv.apply(raftIndex, raftTerm, req);
        if (!fits) {
            throw EtcdError.NO_SPACE.exception();
        }
        return response;
    }

    /** etcd's applierV3backend.Alarm. The response carries no header; the API adds it. */
    private AlarmResponse applyAlarm(AlarmRequest ar) {
        AlarmResponse.Builder resp = AlarmResponse.newBuilder();
        switch (ar.getAction()) {
            case GET:
                resp.addAllAlarms(alarms.get(ar.getAlarm()));
                break;
            case ACTIVATE: {
                boolean wasActive = alarms.isActive(ar.getAlarm());
                AlarmMember m = alarms.activate(ar.getMemberID(), ar.getAlarm());
                resp.addAlarms(m);
                if (!wasActive) {
                    LOG.log(System.Logger.Level.WARNING, "alarm raised: {0}from {1}",
                            AlarmStore.describe(m), Long.toHexString(m.getMemberID()));
                }
                break;
            }
            case DEACTIVATE: {
                AlarmMember m = alarms.deactivate(ar.getMemberID(), ar.getAlarm());
                if (m != null) {
                    resp.addAlarms(m);
                    if (!alarms.isActive(ar.getAlarm())) {
                        LOG.log(System.Logger.Level.WARNING, "alarm disarmed: {0}from {1}",
                                AlarmStore.describe(m), Long.toHexString(m.getMemberID()));
                    }
                }
                break;
            }
            default:
                // an action etcd does not know: nothing happens, the answer is empty
                break;
        }
        return resp.build();
    }
}
