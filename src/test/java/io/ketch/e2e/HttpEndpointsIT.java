package io.ketch.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ketch.e2e.support.Etcdctl;
import io.ketch.e2e.support.KetchProcess;
import io.ketch.e2e.support.ServerProcess;
import io.ketch.e2e.support.ServerSpec;
import io.ketch.e2e.support.Servers;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP side of the client port of a Ketch process: health, liveness, readiness, version and
 * Prometheus metrics, with etcd 3.5's bodies and content types. Ketch only: the installed
 * reference etcd 3.4 has no /livez or /readyz and reports its own version.
 */
class HttpEndpointsIT {
    private static ServerProcess ketch;

    @BeforeAll
    static void start() {
        assumeTrue(Servers.targetIsKetch(), "HTTP endpoint bodies are Ketch's (etcd 3.5) ones; the reference etcd is 3.4");
        ketch = new KetchProcess(ServerSpec.defaults());
        try {
            ketch.start();
        } catch (RuntimeException | AssertionError e) {
            ketch.close();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        if (ketch != null) {
            ketch.close();
        }
    }

    private static RequestSpecification http() {
        return given().baseUri("http://127.0.0.1").port(ketch.clientPort());
    }

    /** Status, Content-Type and body are checked together, so that one report shows every difference. */
    private static void assertEndpoint(String path, String contentType, String body) {
        Response r = http().get(path);
        assertAll(path,
                () -> assertEquals(200, r.statusCode(), path + " status"),
                () -> assertEquals(contentType, r.header("Content-Type"), path + " Content-Type"),
                () -> assertEquals(body, r.asString(), path + " body"));
    }

    @Test
    void health() {
        // etcd 3.5 (etcdhttp): json.Marshal(Health{"true",""}) written without a Content-Type, which Go sniffs as text/plain
        assertEndpoint("/health", "text/plain; charset=utf-8", "{\"health\":\"true\",\"reason\":\"\"}");
    }

    @Test
    void livez() {
        // etcd (etcdhttp/health.go): Content-Type "text/plain; charset=utf-8", X-Content-Type-Options nosniff, body "ok\n"
        assertEndpoint("/livez", "text/plain; charset=utf-8", "ok\n");
    }

    @Test
    void readyz() {
        assertEndpoint("/readyz", "text/plain; charset=utf-8", "ok\n");
    }

    @Test
    void version() {
        assertEndpoint("/version", "application/json", "{\"etcdserver\":\"3.5.0\",\"etcdcluster\":\"3.5.0\"}");
    }

    @Test
    void metricsContentTypeForAPlainScrape() {
        // etcd's promhttp answers an Accept: */* request (curl, rest-assured) with the Prometheus text format
        String type = http().get("/metrics").then().statusCode(200).extract().header("Content-Type");
        assertTrue(type != null && type.startsWith("text/plain"),
                "GET /metrics with Accept: */* should answer text/plain (Prometheus text format 0.0.4) like etcd, was: " + type);
    }

    @Test
    void metricsHaveEtcdNames() {
        Etcdctl.of(ketch).ok("put", "metrics-probe", "v"); // at least one WAL fsync after startup
        String body = http().accept("text/plain").get("/metrics").then().statusCode(200).extract().asString();
        assertAll(
                () -> assertTrue(Pattern.compile("(?m)^etcd_server_has_leader (1|1\\.0)$").matcher(body).find(),
                        "etcd_server_has_leader 1 missing from /metrics:\n" + excerpt(body, "has_leader")),
                () -> assertTrue(Pattern.compile("(?m)^# TYPE etcd_server_has_leader gauge$").matcher(body).find(),
                        "etcd_server_has_leader must be a gauge:\n" + excerpt(body, "has_leader")),
                () -> assertTrue(Pattern.compile("(?m)^etcd_disk_wal_fsync_duration_seconds_bucket\\{le=\"[^\"]+\",?\\} \\d+")
                        .matcher(body).find(), "etcd_disk_wal_fsync_duration_seconds_bucket missing:\n" + excerpt(body, "fsync")),
                () -> assertTrue(Pattern.compile("(?m)^etcd_disk_wal_fsync_duration_seconds_sum ").matcher(body).find(),
                        "etcd_disk_wal_fsync_duration_seconds_sum missing:\n" + excerpt(body, "fsync")),
                () -> {
                    Matcher m = Pattern.compile("(?m)^etcd_disk_wal_fsync_duration_seconds_count (\\d+(?:\\.\\d+)?)$").matcher(body);
                    assertTrue(m.find(), "etcd_disk_wal_fsync_duration_seconds_count missing:\n" + excerpt(body, "fsync"));
                    assertTrue(Double.parseDouble(m.group(1)) > 0,
                            "etcd_disk_wal_fsync_duration_seconds_count is " + m.group(1) + " after a put: the WAL fsyncs are not counted");
                },
                () -> {
                    Matcher m = Pattern.compile("(?m)^etcd_mvcc_db_total_size_in_bytes (\\d+(?:\\.\\d+)?(?:E\\d+)?)$").matcher(body);
                    assertTrue(m.find(), "etcd_mvcc_db_total_size_in_bytes missing:\n" + excerpt(body, "db_total"));
                    assertTrue(Double.parseDouble(m.group(1)) > 0, "etcd_mvcc_db_total_size_in_bytes is " + m.group(1));
                });
    }

    private static String excerpt(String body, String word) {
        StringBuilder sb = new StringBuilder();
        body.lines().filter(l -> l.contains(word)).limit(20).forEach(l -> sb.append("    ").append(l).append('\n'));
        return sb.length() == 0 ? "    (no line contains '" + word + "'; " + body.lines().count() + " lines in total)" : sb.toString();
    }
}
