package io.ketch.errors;

import java.util.Optional;

/**
 * The errors a client can see, with etcd's gRPC status codes and messages exactly
 * (etcd's rpctypes). Clients match on the message text, so these strings are part of the
 * wire contract: never reword them.
 *
 * <p>The code is the numeric gRPC status code so that this leaf package needs no gRPC types.
 */
public enum EtcdError {
    EMPTY_KEY(3, "etcdserver: key is not provided"),
    KEY_NOT_FOUND(3, "etcdserver: key not found"),
    VALUE_PROVIDED(3, "etcdserver: value is provided"),
    LEASE_PROVIDED(3, "etcdserver: lease is provided"),
    TOO_MANY_OPS(3, "etcdserver: too many operations in txn request"),
    DUPLICATE_KEY(3, "etcdserver: duplicate key given in txn request"),
    COMPACTED(11, "etcdserver: mvcc: required revision has been compacted"),
    FUTURE_REV(11, "etcdserver: mvcc: required revision is a future revision"),
    NO_SPACE(8, "etcdserver: mvcc: database space exceeded"),
    LEASE_NOT_FOUND(5, "etcdserver: requested lease not found"),
    LEASE_EXIST(9, "etcdserver: lease already exists"),
    LEASE_TTL_TOO_LARGE(11, "etcdserver: too large lease TTL"),
    REQUEST_TOO_LARGE(3, "etcdserver: request is too large"),
    TOO_MANY_REQUESTS(8, "etcdserver: too many requests"),
    NO_LEADER(14, "etcdserver: no leader"),
    STOPPED(14, "etcdserver: server stopped"),
    TIMEOUT(14, "etcdserver: request timed out"),
    TIMEOUT_DUE_TO_LEADER_FAIL(14, "etcdserver: request timed out, possibly due to previous leader failure"),
    LEADER_CHANGED(14, "etcdserver: leader changed"),
    CORRUPT(15, "etcdserver: corrupt cluster"),
    MEMBER_EXIST(9, "etcdserver: member ID already exist"),
    PEER_URL_EXIST(9, "etcdserver: Peer URLs already exists"),
    // code 2 (Unknown): etcd maps this error to no gRPC status
    MEMBER_NOT_ENOUGH_STARTED(2, "etcdserver: re-configuration failed due to not enough started members"),
    MEMBER_BAD_URLS(3, "etcdserver: given member URLs are invalid"),
    MEMBER_NOT_FOUND(5, "etcdserver: member not found"),
    MEMBER_NOT_LEARNER(9, "etcdserver: can only promote a learner member"),
    LEARNER_NOT_READY(9, "etcdserver: can only promote a learner member which is in sync with leader"),
    TOO_MANY_LEARNERS(9, "etcdserver: too many learner members in cluster"),
    NOT_LEADER(9, "etcdserver: not leader"),
    UNHEALTHY(14, "etcdserver: unhealthy cluster"),
    NOT_SUPPORTED_FOR_LEARNER(14, "etcdserver: rpc not supported for learner"),
    BAD_LEADER_TRANSFEREE(9, "etcdserver: bad leader transferee"),
    // code 2 (Unknown): etcd maps this error to no gRPC status
    LEADER_TRANSFER_TIMEOUT(2, "etcdserver: request timed out, leader transfer took too long");

    /** gRPC status code number (3 INVALID_ARGUMENT, 5 NOT_FOUND, 11 OUT_OF_RANGE, ...). */
    public final int grpcCode;
    public final String message;

    EtcdError(int grpcCode, String message) {
        this.grpcCode = grpcCode;
        this.message = message;
    }

    public EtcdException exception() {
        return new EtcdException(this);
    }

    /** The error with exactly this message, e.g. one that crossed the peer transport as text. */
    public static Optional<EtcdError> byMessage(String message) {
        for (EtcdError e : values()) {
            if (e.message.equals(message)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }
}
