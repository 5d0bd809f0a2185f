package io.ketch.lease;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Leases by deadline: a binary min-heap with at most one entry per lease and an index from
 * lease ID to heap slot, so a renewal moves the lease's entry in O(log n) instead of adding a
 * new one (etcd's LeaseExpiredNotifier). Not thread-safe: the {@link Lessor} guards it.
 */
final class ExpiryQueue {
    private long[] ids = new long[16];
    private long[] deadlines = new long[16];
    private int size;
    private final Map<Long, Integer> slotOf = new HashMap<>();

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The lease with the earliest deadline; call only when not empty. */
    long peekId() {
        return ids[0];
    }

    long peekDeadline() {
        return deadlines[0];
    }

    /** Inserts the lease, or moves its entry to the new deadline. */
    void schedule(long id, long deadline) {
        Integer slot = slotOf.get(id);
        if (slot != null) {
            long old = deadlines[slot];
            deadlines[slot] = deadline;
            if (deadline < old) {
                up(slot);
            } else {
                down(slot);
            }
            return;
        }
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
            deadlines = Arrays.copyOf(deadlines, size * 2);
        }
        ids[size] = id;
        deadlines[size] = deadline;
        slotOf.put(id, size);
        size++;
        up(size - 1);
    }

    /** Removes the lease's entry if it has one. */
    void remove(long id) {
        Integer slot = slotOf.remove(id);
        if (slot == null) {
            return;
        }
        int last = --size;
        if (slot != last) {
            move(last, slot);
            if (!up(slot)) {
                down(slot);
            }
        }
    }

    void clear() {
        size = 0;
        slotOf.clear();
    }

    private boolean up(int i) {
        int start = i;
        long id = ids[i];
        long d = deadlines[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (deadlines[parent] <= d) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        place(id, d, i);
        return i != start;
    }

    private void down(int i) {
        long id = ids[i];
        long d = deadlines[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && deadlines[child + 1] < deadlines[child]) {
                child++;
            }
            if (deadlines[child] >= d) {
                break;
            }
            move(child, i);
            i = child;
        }
        place(id, d, i);
    }

    private void move(int from, int to) {
        ids[to] = ids[from];
        deadlines[to] = deadlines[from];
        slotOf.put(ids[to], to);
    }

    private void place(long id, long deadline, int slot) {
        ids[slot] = id;
        deadlines[slot] = deadline;
        slotOf.put(id, slot);
    }
}
