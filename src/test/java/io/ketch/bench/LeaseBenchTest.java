package io.ketch.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.ketch.pb.etcdserver.LeaseGrpc;
import io.ketch.pb.etcdserver.LeaseLeasesRequest;
import io.ketch.pb.etcdserver.LeaseRevokeRequest;
import io.ketch.pb.etcdserver.LeaseStatus;
import io.ketch.pb.etcdserver.LeaseTimeToLiveRequest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lease benchmarks run against a live member: every request succeeds and is counted. */
@QuarkusTest
class LeaseBenchTest {
    @TestHTTPResource("/")
    URL url;

    private String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--endpoints";
        all[args.length + 1] = url.getHost() + ":" + url.getPort();
        int code = Bench.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text + err.toString(StandardCharsets.UTF_8));
        return text;
    }

    /** The grant benchmark's hour-long leases would outlive the test (the data dir is kept): revoke them. */
    @AfterEach
    void revokeBenchmarkLeases() throws InterruptedException {
        ManagedChannel ch = NettyChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext().build();
        try {
            LeaseGrpc.LeaseBlockingStub lease = LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
            for (LeaseStatus l : lease.leaseLeases(LeaseLeasesRequest.getDefaultInstance()).getLeasesList()) {
                long granted = lease.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(l.getID()).build())
                        .getGrantedTTL();
                if (granted == LeaseGrantWorkload.TTL_SECONDS) {
                    lease.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(l.getID()).build());
                }
            }
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void leaseGrantBenchmarkGrantsAndChecksEveryLease() {
        String out = run("lease-grant", "--clients", "8", "--conns", "2", "--total", "300");
        assertTrue(out.contains("lease grant"), out);
        assertTrue(out.contains("300"), out);
    }

    @Test
    void leaseKeepAliveBenchmarkRenewsOverOneStreamPerClient() {
        String out = run("lease-keepalive", "--clients", "8", "--conns", "2", "--total", "2000", "--warmup", "100");
        assertTrue(out.contains("lease keepalive"), out);
        assertTrue(out.contains("2000"), out);
    }
}
