package io.ketch.bench;

/**
 * The measurement of one run.
 *
 * @param succeeded requests that succeeded; only these have latencies and count as ops
 * @param failed requests that failed
 * @param firstError the first failure's message, or null
 */
record RoundResult(long succeeded, long failed, String firstError, long elapsedNanos, LatencySummary latency) {

    long requests() {
        return succeeded + failed;
    }

    double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    /** Successful requests per second of wall-clock time, as etcd's benchmark counts them. */
    double opsPerSecond() {
        return elapsedNanos == 0 ? 0 : succeeded / elapsedSeconds();
    }
}
