package io.ketch.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Where a gRPC call's responses must be written from: its own Vert.x context (the
 * connection's event loop). vertx-grpc takes a per-call lock and then the connection's lock
 * when a message is written from another thread, while the event loop takes them in the
 * opposite order when the connection's writability changes; so a response written from, say,
 * the apply thread can deadlock the event loop. Capture the executor on the
 * service method's thread and hand every response to it.
 */
final class CallContext {
    private static final Logger LOG = Logger.getLogger(CallContext.class);

    private CallContext() {}

    /**
     * An executor running tasks one at a time, in order, on the calling gRPC method's Vert.x
     * context; outside one (Quarkus does not do that) a serial executor on a shared pool.
     */
    static Executor current() {
        Context ctx = Vertx.currentContext();
        if (ctx == null) {
            return new SerialExecutor(ForkJoinPool.commonPool());
        }
        return task -> ctx.runOnContext(v -> task.run());
    }

    /** Runs tasks one at a time, in order, on a shared pool. */
    private static final class SerialExecutor implements Executor {
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final Executor pool;

        SerialExecutor(Executor pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
            if (queued.getAndIncrement() == 0) {
                pool.execute(this::runAll);
            }
        }

        private void runAll() {
            do {
                try {
                    tasks.poll().run();
                } catch (RuntimeException e) {
                    LOG.error("call task failed", e);
                }
            } while (queued.decrementAndGet() != 0);
        }
    }
}
