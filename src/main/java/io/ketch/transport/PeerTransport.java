package io.ketch.transport;

/** Placeholder: the peer transport is being built (see the transport branch). */
public final class PeerTransport {
}
