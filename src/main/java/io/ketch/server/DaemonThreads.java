package io.ketch.server;

import java.util.concurrent.ThreadFactory;

/** Threads of the member's own loops: named (they show up in thread dumps), daemon (never hold the JVM up). */
final class DaemonThreads {
    private DaemonThreads() {}

    static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
