package io.ketch.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback TCP ports, never handing the same port out twice in one test JVM. */
public final class Ports {
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private Ports() {
    }

    public static synchronized int freePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                int port = socket.getLocalPort();
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a server socket to find a free port", e);
            }
        }
        throw new IllegalStateException("no free port found after 100 attempts");
    }
}
