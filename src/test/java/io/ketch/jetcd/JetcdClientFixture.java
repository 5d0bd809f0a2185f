package io.ketch.jetcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * For a jetcd test class: a client connected to the Quarkus test server for each test, closed
 * after it, and keys under a prefix of that test's own (the server is shared by all test classes).
 * JUnit runs these callbacks before a subclass's {@code @BeforeEach} and after its {@code @AfterEach}.
 */
abstract class JetcdClientFixture {
    @TestHTTPResource("/")
    URL url;

    protected Client client;
    protected String prefix;
    private final String keyRoot;

    /** @param keyRoot where each test's prefix starts, e.g. "/jetcd/" */
    protected JetcdClientFixture(String keyRoot) {
        this.keyRoot = keyRoot;
    }

    @BeforeEach
    void connectClient() {
        client = Client.builder().endpoints("http://" + url.getHost() + ":" + url.getPort()).build();
        prefix = keyRoot + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    /** The key {@code s} under this test's prefix. */
    protected ByteSequence k(String s) {
        return ByteSequence.from(prefix + s, StandardCharsets.UTF_8);
    }

    protected static ByteSequence v(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
