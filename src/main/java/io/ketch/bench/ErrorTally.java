package io.ketch.bench;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** The failed requests of a run: how many, and the first one's message (usually the telling one). */
final class ErrorTally {
    private final AtomicLong count = new AtomicLong();
    private final AtomicReference<String> first = new AtomicReference<>();

    void record(Throwable error) {
        count.incrementAndGet();
        if (first.get() == null) {
            first.compareAndSet(null, describe(error));
        }
    }

    long count() {
        return count.get();
    }

    /** The first error's message, or null when nothing failed. */
    String first() {
        return first.get();
    }

    /** gRPC errors as "CODE: description", as etcdctl prints them; anything else as itself. */
    static String describe(Throwable error) {
        if (error instanceof StatusRuntimeException || error instanceof StatusException) {
            Status status = Status.fromThrowable(error);
            String description = status.getDescription();
            return description == null ? status.getCode().name() : status.getCode() + ": " + description;
        }
        return String.valueOf(error);
    }
}
