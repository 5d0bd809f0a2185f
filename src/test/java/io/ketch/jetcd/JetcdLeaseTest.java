package io.ketch.jetcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ketch.testing.Poll;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Leases through jetcd, used the way a Java application uses it. */
@QuarkusTest
class JetcdLeaseTest extends JetcdClientFixture {
    private Lease lease;
    private KV kv;

    JetcdLeaseTest() {
        super("/jetcd-lease/");
    }

    @BeforeEach
    void clients() {
        lease = client.getLeaseClient();
        kv = client.getKVClient();
    }

    private long count(String key) throws Exception {
        return kv.get(k(key), GetOption.builder().withCountOnly(true).build()).get(10, TimeUnit.SECONDS).getCount();
    }

    /** The etcd error message a failed call carries (jetcd hands out gRPC statuses or its own exception). */
    private static String etcdError(ThrowingRunnable r) {
        ExecutionException e = assertThrows(ExecutionException.class, r::run);
        if (e.getCause() instanceof StatusRuntimeException s) {
            return s.getStatus().getDescription();
        }
        return assertInstanceOf(EtcdException.class, e.getCause()).getMessage();
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void grantPutWithLeaseTimeToLiveAndRevoke() throws Exception {
        long id = lease.grant(60).get(10, TimeUnit.SECONDS).getID();
        assertTrue(id > 0);
        kv.put(k("a"), v("1"), PutOption.builder().withLeaseId(id).build()).get(10, TimeUnit.SECONDS);
        kv.put(k("b"), v("2"), PutOption.builder().withLeaseId(id).build()).get(10, TimeUnit.SECONDS);

        LeaseTimeToLiveResponse ttl = lease.timeToLive(id, LeaseOption.builder().withAttachedKeys().build())
                .get(10, TimeUnit.SECONDS);
        assertEquals(60, ttl.getGrantedTTL());
        assertTrue(ttl.getTTL() > 55 && ttl.getTTL() <= 60, "remaining " + ttl.getTTL());
        assertEquals(List.of(k("a"), k("b")), ttl.getKeys());
        assertEquals(id, kv.get(k("a")).get(10, TimeUnit.SECONDS).getKvs().get(0).getLease());

        lease.revoke(id).get(10, TimeUnit.SECONDS);
        assertEquals(0, count("a"));
        assertEquals(0, count("b"));
        assertEquals(-1, lease.timeToLive(id, LeaseOption.DEFAULT).get(10, TimeUnit.SECONDS).getTTL());
    }

    @Test
    void badInputGetsEtcdsErrors() throws Exception {
        long id = lease.grant(30).get(10, TimeUnit.SECONDS).getID();
        lease.revoke(id).get(10, TimeUnit.SECONDS);
        assertEquals("etcdserver: requested lease not found",
                etcdError(() -> lease.revoke(id).get(10, TimeUnit.SECONDS)));
        assertEquals("etcdserver: requested lease not found", etcdError(() -> kv.put(k("x"), v("1"),
                PutOption.builder().withLeaseId(id).build()).get(10, TimeUnit.SECONDS)));
        assertEquals("etcdserver: too large lease TTL",
                etcdError(() -> lease.grant(9_000_000_001L).get(10, TimeUnit.SECONDS)));
        // keepalive of an unknown lease: the server answers TTL 0, jetcd turns it into an error
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> lease.keepAliveOnce(id).get(10, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("lease not found")
                || e.getCause() instanceof io.etcd.jetcd.lease.NoSuchLeaseException, e.getCause().toString());
        // the client (and its streams) still work
        assertTrue(lease.grant(30).get(10, TimeUnit.SECONDS).getID() > 0);
    }

    @Test
    void keepAliveOnceRenews() throws Exception {
        long id = lease.grant(20).get(10, TimeUnit.SECONDS).getID();
        LeaseKeepAliveResponse r = lease.keepAliveOnce(id).get(10, TimeUnit.SECONDS);
        assertEquals(id, r.getID());
        assertEquals(20, r.getTTL());
    }

    @Test
    void aKeptAliveLeaseOutlivesItsTtlAndExpiresOnceTheKeepAliveStops() throws Exception {
        long id = lease.grant(2).get(10, TimeUnit.SECONDS).getID();
        kv.put(k("kept"), v("1"), PutOption.builder().withLeaseId(id).build()).get(10, TimeUnit.SECONDS);
        BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
        CloseableClient keepAlive = lease.keepAlive(id, new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        // jetcd renews every TTL/3: collect renewals spanning well over the 2 s TTL
        long start = System.nanoTime();
        int renewals = 0;
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(3500)) {
            LeaseKeepAliveResponse r = answers.poll(5, TimeUnit.SECONDS);
            assertEquals(2, r.getTTL());
            renewals++;
        }
        assertTrue(renewals >= 3, "renewals " + renewals);
        assertEquals(1, count("kept"), "alive past its TTL while kept alive");
        keepAlive.close();
        assertTrue(Poll.until(Duration.ofSeconds(15), () -> {
            try {
                return count("kept") == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }), "expired after the keepalive stopped");
    }
}
