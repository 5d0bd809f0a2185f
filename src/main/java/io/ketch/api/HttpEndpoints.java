package io.ketch.api;

import io.ketch.KetchMain;
import io.ketch.pb.etcdserver.AlarmMember;
import io.ketch.pb.etcdserver.AlarmType;
import io.ketch.server.KetchServer;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;

/**
 * etcd's plain-HTTP endpoints on the client port: {@code /health} (etcd's JSON; false while
 * an alarm is raised, as etcd, unless {@code ?exclude=NOSPACE} etc. names it),
 * {@code /livez} and {@code /readyz} (etcd 3.5's "ok" probes) and {@code /version}.
 * and {@code /metrics} from Micrometer's Prometheus registry.
 */
@ApplicationScoped
public class HttpEndpoints {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    @Inject
    KetchServer server;
    @Inject
    PrometheusMeterRegistry prometheus;

    void routes(@Observes Router router) {
        // Content types and bodies byte for byte as etcd's etcdhttp package writes them.
        router.get("/health").handler(rc -> {
            String reason = null;
            if (!server.ready()) {
                reason = "ketch: member is not serving";
            } else if (server.leader() == 0) {
                reason = "RAFT NO LEADER"; // etcd's reason while the member has no leader
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
            rc.response().setStatusCode(reason == null ? 200 : 503).putHeader("Content-Type", TEXT)
                    .end(reason == null ? "{\"health\":\"true\",\"reason\":\"\"}"
                            : "{\"health\":\"false\",\"reason\":\"" + reason + "\"}");
        });
        router.get("/livez").handler(rc -> rc.response().putHeader("Content-Type", TEXT)
                .putHeader("X-Content-Type-Options", "nosniff").end("ok\n"));
        router.get("/readyz").handler(rc -> {
            boolean ok = server.ready() && server.leader() != 0;
            rc.response().setStatusCode(ok ? 200 : 503).putHeader("Content-Type", TEXT)
                    .putHeader("X-Content-Type-Options", "nosniff").end(ok ? "ok\n" : "not ready\n");
        });
        // Prometheus' text format whatever the Accept header says, as etcd serves it: curl and
        // simple scrapers send Accept: */*, for which the registry would pick OpenMetrics.
        router.get("/metrics").handler(rc -> rc.response().putHeader("Content-Type", PROMETHEUS_TEXT)
                .end(prometheus.scrape(PROMETHEUS_TEXT)));
        router.get("/version").handler(rc -> rc.response().putHeader("Content-Type", "application/json")
                .end("{\"etcdserver\":\"" + KetchMain.ETCD_API_VERSION + "\",\"etcdcluster\":\"3.5.0\"}"));
    }
}
