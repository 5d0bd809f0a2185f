package io.ketch.bench;

/** A benchmark that could not be carried out: no connection, or its preparation failed. */
public final class BenchFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public BenchFailure(String message) {
        super(message);
    }
}
