package io.ketch.wal;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.SynchronousQueue;

/**
 * Keeps one preallocated, fsynced segment file ready ({@code 0.tmp} or {@code 1.tmp}) on a daemon thread,
 * so that rolling to a new segment is a rename and the writer does not wait for the zeros to be written
 * (etcd's file_pipeline). The hand-off is a rendezvous: at most one file waits, so the disk holds at most
 * one segment's worth of unused preallocation besides the file being filled.
 *
 * <p>Thread-safety: {@link #take()} is called by the WAL's single writer thread; {@link #close()} by the
 * same thread.
 */
final class SegmentPreallocator implements Closeable {
    private final Path dir;
    private final long segmentBytes;
    /** Carries a ready {@link Path}, or the {@link IOException} that stopped preparation. */
    private final SynchronousQueue<Object> handoff = new SynchronousQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    SegmentPreallocator(Path dir, long segmentBytes) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
        this.thread = Thread.ofPlatform().daemon().name("ketch-wal-preallocate").unstarted(this::run);
        thread.start();
    }

    private void run() {
        // Names alternate: the writer renames a taken file before it takes the next one, so they never collide.
        long count = 0;
        try {
            while (!closed) {
                Path tmp = tmpFile(count++ % 2);
                SegmentFiles.createPreallocated(tmp, segmentBytes);
                handoff.put(tmp);
            }
        } catch (InterruptedException | ClosedByInterruptException e) {
            // close() interrupted us
        } catch (Throwable t) {
            if (closed) {
                return;
            }
            IOException failure = t instanceof IOException io ? io : new IOException(t);
            try {
                // Every later take() must see the failure rather than block forever.
                while (true) {
                    handoff.put(failure);
                }
            } catch (InterruptedException e) {
                // closing
            }
        }
    }

    /** The next ready segment file, waiting for it only if preparation has not caught up. */
    Path take() throws IOException {
        if (closed) {
            throw new IllegalStateException("segment preallocator is closed");
        }
        Object ready;
        try {
            ready = handoff.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a preallocated WAL segment");
        }
        if (ready instanceof IOException failure) {
            throw new IOException("preallocating the next WAL segment in " + dir + " failed", failure);
        }
        return (Path) ready;
    }

    /** Stops the thread and deletes the file it had ready. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(tmpFile(0));
        Files.deleteIfExists(tmpFile(1));
    }

    private Path tmpFile(long n) {
        return dir.resolve(n + ".tmp");
    }
}
