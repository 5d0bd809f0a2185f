package io.ketch.bench;

/**
 * One kind of benchmark request, i.e. one subcommand of {@code ketch bench}. The runner owns
 * concurrency, timing and counting; a workload only knows how to send its request. To add a
 * benchmark (watch, lease keep-alive, ...), implement this and register it in {@link Workloads}.
 * A client may hold per-client state, such as an open watch or keep-alive stream.
 */
public interface Workload {

    /** Names the workload in the summary, e.g. "put" or "range (linearizable)". */
    String title();

    /** Further words for the summary header, e.g. "10000 sequential keys"; empty for none. */
    default String details() {
        return "";
    }

    /** Unmeasured work done once before the warmup, e.g. writing the keys a range benchmark reads. */
    default void prepare(Setup setup) throws BenchFailure, InterruptedException {
    }

    /** Creates one client sending over {@code conn}; it is reused for the warmup and every round. */
    Client newClient(Connection conn);

    /** The requests of one client. The runner keeps at most one of them in flight at a time. */
    interface Client extends AutoCloseable {
        /**
         * Starts request number {@code seq} (unique within a run, counting from 0) without
         * blocking, and reports its end to {@code done} exactly once. Must not throw.
         */
        void issue(long seq, Completion done);

        /** Releases per-client resources such as streams. */
        @Override
        default void close() {
        }
    }

    /** What {@link #prepare} may use: the benchmark's connections and concurrency, unmeasured. */
    interface Setup {
        /** Runs {@code requests} requests of {@code workload} to completion; fails if any request failed. */
        void run(Workload workload, long requests) throws BenchFailure, InterruptedException;
    }
}
