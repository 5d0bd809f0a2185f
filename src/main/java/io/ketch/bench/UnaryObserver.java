package io.ketch.bench;

import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;

/**
 * Completes a {@link Completion} when a unary gRPC call ends. The request counts as done when
 * the call closes (not at the response message), which is when a client library would return.
 * An optional check rejects responses that are well-formed but wrong (it throws), so a server
 * that answers fast with the wrong result does not look good.
 */
public final class UnaryObserver<T> implements StreamObserver<T> {
    private final Completion done;
    private final Consumer<? super T> check;
    private RuntimeException rejected;

    private UnaryObserver(Completion done, Consumer<? super T> check) {
        this.done = done;
        this.check = check;
    }

    public static <T> UnaryObserver<T> of(Completion done) {
        return new UnaryObserver<>(done, response -> { });
    }

    public static <T> UnaryObserver<T> checking(Completion done, Consumer<? super T> check) {
        return new UnaryObserver<>(done, check);
    }

    @Override
    public void onNext(T response) {
        try {
            check.accept(response);
        } catch (RuntimeException e) {
            rejected = e;
        }
    }

    @Override
    public void onError(Throwable error) {
        done.failed(error);
    }

    @Override
    public void onCompleted() {
        if (rejected == null) {
            done.succeeded();
        } else {
            done.failed(rejected);
        }
    }
}
