package io.ketch.bench;

/** A command line that {@code ketch bench} cannot run; the message says what is wrong. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
