package io.ketch.raft;

import com.google.protobuf.ByteString;

/**
 * The answer to a ReadIndex request: once this member has applied up to {@code index}, a read
 * served from its state machine reflects every write committed before the request was made.
 * {@code requestContext} is the context the caller passed to {@link RawNode#readIndex}.
 */
public record ReadState(long index, ByteString requestContext) {
}
