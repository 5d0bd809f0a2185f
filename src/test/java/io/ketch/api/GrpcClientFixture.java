package io.ketch.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URL;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * For a gRPC test class: a plaintext channel to the Quarkus test server (gRPC shares its HTTP
 * port) for each test, shut down after it, and keys under a prefix of that test's own (the
 * server and its store are shared by all test classes). JUnit runs these callbacks before a
 * subclass's {@code @BeforeEach} and after its {@code @AfterEach}, so a subclass makes its
 * stubs on an open channel and cleans up while it is still open.
 */
abstract class GrpcClientFixture {
    @TestHTTPResource("/")
    URL url;

    protected ManagedChannel channel;
    protected String prefix;
    private final String keyRoot;

    /** @param keyRoot where each test's prefix starts, e.g. "/t/" */
    protected GrpcClientFixture(String keyRoot) {
        this.keyRoot = keyRoot;
    }

    @BeforeEach
    void openChannel() {
        channel = configure(NettyChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext()).build();
        prefix = keyRoot + UUID.randomUUID() + "/";
    }

    /** Channel settings a test class needs beyond the defaults; none here. */
    protected NettyChannelBuilder configure(NettyChannelBuilder builder) {
        return builder;
    }

    @AfterEach
    void shutDownChannel() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** The key {@code s} under this test's prefix. */
    protected ByteString k(String s) {
        return ByteString.copyFromUtf8(prefix + s);
    }

    /** Asserts the call fails with etcd's gRPC status code and message. */
    protected static void assertEtcdError(Status.Code code, String message, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode());
        assertEquals(message, e.getStatus().getDescription());
    }
}
