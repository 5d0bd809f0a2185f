package io.ketch.api;

import io.ketch.KetchMain;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.server.KetchServer;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;

/**
 * etcd's plain-HTTP endpoints on the client port: {@code /health} (etcd's JSON; false while
 * an alarm is raised, as etcd, unless {@code ?exclude=NOSPACE} etc. names it),
 * {@code /livez} and {@code /readyz} (etcd 3.5's "ok" probes) and {@code /version}.
 * {@code /metrics} is served by Micrometer's Prometheus registry.
 */
@ApplicationScoped
public class HttpEndpoints {
    @Inject
    KetchServer server;

    void routes(@Observes Router router) {
        router.get("/health").handler(rc -> {
            String reason = null;
            if (!server.ready()) {
                reason = "ketch: member is not serving";
            } else {
                // as etcd: a raised alarm makes the member unhealthy unless ?exclude=<ALARM> names it
                List<String> excluded = rc.queryParam("exclude");
                for (AlarmMember m : server.alarms().get(AlarmType.NONE)) {
                    if (!excluded.contains(m.getAlarm().name())) {
                        reason = "ALARM " + m.getAlarm().name();
                        break;
                    }
                }
            }
            rc.response().setStatusCode(reason == null ? 200 : 503).putHeader("Content-Type", "application/json")
                    .end(reason == null ? "{\"health\":\"true\",\"reason\":\"\"}"
                            : "{\"health\":\"false\",\"reason\":\"" + reason + "\"}");
        });
        router.get("/livez").handler(rc -> rc.response().putHeader("Content-Type", "text/plain").end("ok"));
        router.get("/readyz").handler(rc -> {
            boolean ok = server.ready();
            rc.response().setStatusCode(ok ? 200 : 503).putHeader("Content-Type", "text/plain")
                    .end(ok ? "ok" : "not ready");
        });
        router.get("/version").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
                .end("{\"etcdserver\":\"" + KetchMain.ETCD_API_VERSION + "\",\"etcdcluster\":\"3.5.0\"}"));
    }
}
