package io.ketch.watch;

import java.time.Duration;

/**
 * Settings of the watch machinery. {@link #defaults()} gives etcd's values where etcd has
 * one; tests shorten the progress interval and shrink the buffers.
 *
 * @param progressInterval     how often a watcher created with progress_notify gets a progress
 *                             notification when it had no events (etcd: 10 minutes,
 *                             --experimental-watch-progress-notify-interval)
 * @param progressJitter       add a random 0-10% to each stream's interval, as etcd does, so
 *                             that streams opened together do not tick together
 * @param maxPendingPerWatcher event responses one watcher may have waiting in its stream; one
 *                             more and it leaves the synced group and is caught up from history
 *                             once its stream has sent half of them
 * @param maxResponseBytes     the size at which a fragment=true response is split (etcd: the
 *                             max request size plus 512 KiB of gRPC overhead)
 * @param catchUpResponseBytes a catch-up response is cut (at a revision boundary) once it
 *                             reaches this size, so that history reaches clients in pieces
 *                             their default message limit accepts
 * @param maxRevisionsPerCatchUp revisions read from history for a watcher in one sync round (etcd's watchBatchMaxRevs)
 * @param watchersPerSyncRound unsynced watchers handled per sync round (etcd's maxWatchersPerSync)
 * @param recentRevisions      newest revisions kept in memory for catching up without the backend
 * @param recentBytes          bound on the memory those revisions may hold
 */
public record WatchConfig(
        Duration progressInterval,
        boolean progressJitter,
        int maxPendingPerWatcher,
        int maxResponseBytes,
        int catchUpResponseBytes,
        int maxRevisionsPerCatchUp,
        int watchersPerSyncRound,
        int recentRevisions,
        long recentBytes) {

    /** etcd's default max request size (1.5 MiB) plus its gRPC overhead allowance (512 KiB). */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 1572864 + 512 * 1024;
    /** etcd's minimum progress notify interval (minWatchProgressInterval). */
    public static final Duration MIN_PROGRESS_INTERVAL = Duration.ofMillis(100);

    public WatchConfig {
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("progress interval must be positive: " + progressInterval);
        }
        if (maxPendingPerWatcher < 2 || maxResponseBytes < 1 || catchUpResponseBytes < 1
                || maxRevisionsPerCatchUp < 1 || watchersPerSyncRound < 1 || recentRevisions < 1 || recentBytes < 1) {
            throw new IllegalArgumentException("watch limits must be positive");
        }
    }

    public static WatchConfig defaults() {
        return new WatchConfig(Duration.ofMinutes(10), true, 256, DEFAULT_MAX_RESPONSE_BYTES, 1 << 20, 1000, 512,
                8192, 32L << 20);
    }

    public WatchConfig withProgressInterval(Duration interval, boolean jitter) {
        return new WatchConfig(interval, jitter, maxPendingPerWatcher, maxResponseBytes, catchUpResponseBytes,
                maxRevisionsPerCatchUp, watchersPerSyncRound, recentRevisions, recentBytes);
    }

    public WatchConfig withMaxResponseBytes(int bytes) {
        return new WatchConfig(progressInterval, progressJitter, maxPendingPerWatcher, bytes, catchUpResponseBytes,
                maxRevisionsPerCatchUp, watchersPerSyncRound, recentRevisions, recentBytes);
    }

    public WatchConfig withBuffers(int maxPending, int catchUpBytes, int revisionsPerCatchUp, int recentRevs,
            long recentMemory) {
        return new WatchConfig(progressInterval, progressJitter, maxPending, maxResponseBytes, catchUpBytes,
                revisionsPerCatchUp, watchersPerSyncRound, recentRevs, recentMemory);
    }

    /** Below this many waiting responses an overflowed watcher is caught up again. */
    int resumeBelow() {
        return maxPendingPerWatcher / 2;
    }
}
