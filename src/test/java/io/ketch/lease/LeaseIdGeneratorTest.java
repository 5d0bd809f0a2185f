package io.ketch.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaseIdGeneratorTest {

    @Test
    void idsCarryTheMemberIdAndTimeAsEtcdsGenerator() {
        // etcd's default member 8e9e05c52164694d: low 16 bits 0x694d
        LeaseIdGenerator g = new LeaseIdGenerator(0x8e9e05c52164694dL, 0x0123456789L);
        assertEquals(0x694d_0123456789_01L, g.next());
        assertEquals(0x694d_0123456789_02L, g.next());
    }

    @Test
    void idsArePositiveAndUniqueEvenWhenTheCounterCarries() {
        LeaseIdGenerator g = new LeaseIdGenerator(0xFFFF, (1L << 40) - 1);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            long id = g.next();
            assertTrue(id > 0, Long.toHexString(id));
            assertTrue(seen.add(id));
        }
    }
}
