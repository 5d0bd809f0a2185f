package io.ketch.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {
    @Test
    void parsesGoDurations() {
        assertEquals(Duration.ofMinutes(10), GoDuration.parse("10m"));
        assertEquals(Duration.ofMillis(1500), GoDuration.parse("1.5s"));
        assertEquals(Duration.ofMinutes(90), GoDuration.parse("1h30m"));
        assertEquals(Duration.ofMillis(100), GoDuration.parse("100ms"));
        assertEquals(Duration.ofNanos(2500), GoDuration.parse("2us500ns"));
        assertEquals(Duration.ZERO, GoDuration.parse("0"));
        assertEquals(Duration.ofSeconds(-5), GoDuration.parse("-5s"));
    }

    @Test
    void refusesWhatGoRefuses() {
        for (String bad : new String[] {"", "10", "abc", "5 s", "1x", "s", "1.5.2s"}) {
            assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(bad), bad);
        }
    }
}
