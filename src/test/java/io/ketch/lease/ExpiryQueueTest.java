package io.ketch.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ExpiryQueueTest {

    @Test
    void agreesWithASortedModelUnderRandomScheduleRemoveAndPop() {
        Random rnd = new Random(7);
        ExpiryQueue q = new ExpiryQueue();
        Map<Long, Long> model = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            int op = rnd.nextInt(10);
            long id = rnd.nextInt(300);
            if (op < 6) {
                long d = rnd.nextInt(1_000_000) - 500_000;
                q.schedule(id, d);
                model.put(id, d);
            } else if (op < 8) {
                q.remove(id);
                model.remove(id);
            } else if (!model.isEmpty()) {
                long min = model.values().stream().min(Long::compare).orElseThrow();
                long popped = q.peekId();
                assertEquals(min, q.peekDeadline());
                assertEquals(min, model.get(popped));
                q.remove(popped);
                model.remove(popped);
            }
            assertEquals(model.size(), q.size());
        }
    }

    @Test
    void popsInDeadlineOrder() {
        ExpiryQueue q = new ExpiryQueue();
        TreeMap<Long, Long> byDeadline = new TreeMap<>();
        Random rnd = new Random(3);
        for (long id = 0; id < 1000; id++) {
            long d = rnd.nextLong();
            q.schedule(id, d);
            byDeadline.put(d, id);
        }
        long last = Long.MIN_VALUE;
        while (!q.isEmpty()) {
            long d = q.peekDeadline();
            assertTrue(d >= last);
            assertEquals(byDeadline.get(d), q.peekId());
            q.remove(q.peekId());
            last = d;
        }
    }
}
