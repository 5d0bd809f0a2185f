package io.ketch.server;

import io.ketch.alarm.AlarmStore;
import io.ketch.apply.BackendQuota;
import io.ketch.errors.EtcdError;
import io.ketch.errors.EtcdException;
import io.ketch.pb.etcdserver.AlarmRequest;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.pb.internal.InternalRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Raises the NOSPACE alarm when the backend runs out of quota, as etcd does in two places:
 * <ul>
 *   <li>before proposing (etcd's v3rpc quotaAlarmer): a request whose cost would take the
 *       backend past the quota is not proposed; the alarm is proposed instead and, once it is
 *       applied, the request fails with {@code etcdserver: mvcc: database space exceeded};</li>
 *   <li>after applying (etcd's applyEntryNormal): a request the applier answered with that
 *       error while no NOSPACE alarm is raised gets its answer only after the alarm is applied.</li>
 * </ul>
 * Either way the alarm goes through the log like any state change, so `alarm list` right
 * after the failed write shows it.
 */
final class NoSpaceAlarm {
    private static final Logger LOG = Logger.getLogger(NoSpaceAlarm.class);

    private final BackendQuota quota;
    private final AlarmStore alarms;
    private final long memberId;
    /** Proposes a request through the log (the raw path: an alarm has no cost). */
    private final Function<InternalRequest.Builder, CompletableFuture<Object>> propose;

    NoSpaceAlarm(BackendQuota quota, AlarmStore alarms, long memberId,
                 Function<InternalRequest.Builder, CompletableFuture<Object>> propose) {
        this.quota = quota;
        this.alarms = alarms;
        this.memberId = memberId;
        this.propose = propose;
    }

    /** True if the request may be proposed; false if it must be refused with {@link #refuse()}. */
    boolean fits(InternalRequest request) {
        return quota.available(request);
    }

    /** Raises the alarm, then fails with the space error. */
    CompletableFuture<Object> refuse() {
        return raise().handle((ok, err) -> {
            throw EtcdError.NO_SPACE.exception();
        });
    }

    /** The applied result, after raising the alarm first if the applier ran out of space. */
    CompletableFuture<Object> afterApply(CompletableFuture<Object> applied) {
        return applied.exceptionallyCompose(t -> {
            Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
            if (cause instanceof EtcdException e && e.error == EtcdError.NO_SPACE && !alarms.isActive(AlarmType.NOSPACE)) {
                LOG.warnf("message exceeded backend quota (%d bytes); raising alarm", quota.maxBytes());
                return raise().handle((ok, err) -> {
                    throw new CompletionException(cause);
                });
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    private CompletableFuture<Object> raise() {
        return propose.apply(InternalRequest.newBuilder().setAlarm(AlarmRequest.newBuilder()
                .setAction(AlarmRequest.AlarmAction.ACTIVATE)
                .setMemberID(memberId)
                .setAlarm(AlarmType.NOSPACE)));
    }
}
