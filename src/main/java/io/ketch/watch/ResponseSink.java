package io.ketch.watch;

import io.ketch.pb.etcdserver.WatchResponse;

/** Where a {@link WatchStream} sends its responses: the gRPC call, or a test's list. */
public interface ResponseSink {
    /**
     * Whether the transport takes more now without buffering much (gRPC's isReady). When it
     * turns false the stream stops sending until {@link WatchStream#onReady()} is called.
     */
    boolean isReady();

    /** Sends one response; called from one thread at a time, in the stream's order. */
    void send(WatchResponse response);
}
