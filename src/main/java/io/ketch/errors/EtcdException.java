package io.ketch.errors;

/** An {@link EtcdError} raised below the API layer; the API turns it into a gRPC status. */
public final class EtcdException extends RuntimeException {
    public final EtcdError error;

    public EtcdException(EtcdError error) {
        super(error.message, null, false, false);
        this.error = error;
    }
}
