package io.ketch.bench;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The {@code --conns} channels of a benchmark, spread round robin over the endpoints. */
final class Connections implements AutoCloseable {
    private final List<Connection> connections;

    private Connections(List<Connection> connections) {
        this.connections = connections;
    }

    static Connections open(List<Endpoint> endpoints, int count, Duration timeout) {
        List<Connection> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Endpoint endpoint = endpoints.get(i % endpoints.size());
            ManagedChannel channel = NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
                    .usePlaintext()
                    // Callbacks run on the Netty event loop that read the response: the next
                    // request is sent from there, without a hop to another thread. The
                    // callbacks never block, so this is safe, and no client needs its own thread.
                    .directExecutor()
                    .maxInboundMessageSize(Integer.MAX_VALUE)
                    .build();
            list.add(new Connection(endpoint, channel, timeout));
        }
        return new Connections(List.copyOf(list));
    }

    /** The connection of client number {@code client}: clients are dealt out round robin. */
    Connection forClient(int client) {
        return connections.get(client % connections.size());
    }

    /**
     * Connects every channel before anything is measured, so that connection setup is not
     * counted as request latency, and an endpoint that is down fails the run at once with a
     * clear message instead of thousands of UNAVAILABLE errors.
     */
    void awaitReady(Duration timeout) throws BenchFailure, InterruptedException {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Connection c : connections) {
            CompletableFuture<Void> ready = new CompletableFuture<>();
            followUntilReady(c, ready);
            all.add(ready);
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new BenchFailure(e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new BenchFailure("could not connect within " + timeout.toMillis() + " ms");
        }
    }

    private static void followUntilReady(Connection c, CompletableFuture<Void> ready) {
        ConnectivityState state = c.channel().getState(true);
        switch (state) {
            case READY -> ready.complete(null);
            case TRANSIENT_FAILURE, SHUTDOWN -> ready.completeExceptionally(
                    new BenchFailure("cannot connect to " + c.endpoint()));
            default -> c.channel().notifyWhenStateChanged(state, () -> followUntilReady(c, ready));
        }
    }

    @Override
    public void close() {
        for (Connection c : connections) {
            c.channel().shutdown();
        }
        for (Connection c : connections) {
            try {
                if (!c.channel().awaitTermination(5, TimeUnit.SECONDS)) {
                    c.channel().shutdownNow();
                }
            } catch (InterruptedException e) {
                c.channel().shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
