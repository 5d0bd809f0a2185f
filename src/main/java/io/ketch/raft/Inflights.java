package io.ketch.raft;

/**
 * The append messages sent to one follower and not yet acknowledged, as a FIFO of (last
 * index, bytes). It bounds both how many and how many bytes may be in flight, so that a
 * slow follower cannot make the leader buffer an unbounded amount of data in the network.
 */
final class Inflights {
    private final int maxCount;
    private final long maxBytes;
    private long[] indexes;
    private long[] sizes;
    private int start;
    private int count;
    private long bytes;

    Inflights(int maxCount, long maxBytes) {
        this.maxCount = maxCount;
        this.maxBytes = maxBytes;
        int initial = Math.min(maxCount, 16);
        this.indexes = new long[initial];
        this.sizes = new long[initial];
    }

    Inflights copy() {
        Inflights c = new Inflights(maxCount, maxBytes);
        c.indexes = indexes.clone();
        c.sizes = sizes.clone();
        c.start = start;
        c.count = count;
        c.bytes = bytes;
        return c;
    }

    /** Records a message whose last entry is index; indexes must be added in increasing order. */
    void add(long index, long size) {
        if (full()) {
            throw new IllegalStateException("cannot add into a full inflights");
        }
        if (count == indexes.length) {
            grow();
        }
        int slot = (start + count) % indexes.length;
        indexes[slot] = index;
        sizes[slot] = size;
        count++;
        bytes += size;
    }

    private void grow() {
        int newSize = Math.min(maxCount, indexes.length * 2);
        long[] ni = new long[newSize];
        long[] ns = new long[newSize];
        for (int i = 0; i < count; i++) {
            ni[i] = indexes[(start + i) % indexes.length];
            ns[i] = sizes[(start + i) % indexes.length];
        }
        indexes = ni;
        sizes = ns;
        start = 0;
    }

    /** Frees every message whose last index is at or below index: the follower acknowledged it. */
    void freeLE(long index) {
        while (count > 0 && indexes[start] <= index) {
            bytes -= sizes[start];
            start = (start + 1) % indexes.length;
            count--;
        }
        if (count == 0) {
            start = 0;
        }
    }

    void freeFirstOne() {
        if (count > 0) {
            freeLE(indexes[start]);
        }
    }

    boolean full() {
        return count == maxCount || bytes >= maxBytes;
    }

    int count() {
        return count;
    }

    long bytes() {
        return bytes;
    }

    void reset() {
        count = 0;
        start = 0;
        bytes = 0;
    }
}
