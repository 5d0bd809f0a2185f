package io.ketch.server;

import io.ketch.pb.internal.InternalRequest;
import io.ketch.pb.internal.MemberAttributes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * etcd's publish: once started, a member proposes its name and client URLs through the log
 * so every member lists them, retrying until one proposal is applied (it fails while there is
 * no leader). Applying the same attributes twice changes nothing, so a retry after a timeout
 * whose first attempt did apply is harmless.
 */
final class AttributePublisher {
    private static final Logger LOG = Logger.getLogger(AttributePublisher.class);
    private static final long RETRY_MS = 500;

    private final MemberIdentity identity;
    private final Function<InternalRequest.Builder, CompletableFuture<Object>> propose;
    private final ScheduledExecutorService timer;

    AttributePublisher(MemberIdentity identity, Function<InternalRequest.Builder, CompletableFuture<Object>> propose,
                       ScheduledExecutorService timer) {
        this.identity = identity;
        this.propose = propose;
        this.timer = timer;
    }

    void start() {
        timer.execute(this::attempt);
    }

    private void attempt() {
        MemberAttributes attrs = MemberAttributes.newBuilder().setMemberId(identity.memberId())
                .setName(identity.name()).addAllClientUrls(identity.clientUrls()).build();
        propose.apply(InternalRequest.newBuilder().setMemberAttributes(attrs)).whenComplete((r, e) -> {
            if (e == null) {
                LOG.infof("published member %s (%s) with client URLs %s to the cluster", identity.name(),
                        MemberIdentity.hex(identity.memberId()), identity.clientUrls());
            } else if (!timer.isShutdown()) {
                LOG.debugf("publishing member attributes failed (%s); retrying", e.getMessage());
                timer.schedule(this::attempt, RETRY_MS, TimeUnit.MILLISECONDS);
            }
        });
    }
}
