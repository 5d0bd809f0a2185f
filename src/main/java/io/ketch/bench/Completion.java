package io.ketch.bench;

/**
 * How a workload reports the end of one request. Exactly one of the methods is called, once,
 * from any thread (usually a gRPC event loop); the caller then issues its next request from
 * inside that call, so implementations must not block.
 */
public interface Completion {
    void succeeded();

    void failed(Throwable error);
}
