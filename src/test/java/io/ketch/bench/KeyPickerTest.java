package io.ketch.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyPickerTest {

    @Test
    void keysAreZeroPaddedDecimalOfExactlyKeySize() {
        assertEquals("00000042", KeyPicker.format(42, 8).toStringUtf8());
        assertEquals("7", KeyPicker.format(7, 1).toStringUtf8());
        assertThrows(IllegalArgumentException.class, () -> KeyPicker.format(100, 2));
    }

    @Test
    void sequentialKeysWrapAtTheKeySpace() {
        KeyPicker keys = KeyPicker.sequential(4, 3);
        assertEquals("0000", keys.key(0).toStringUtf8());
        assertEquals("0002", keys.key(2).toStringUtf8());
        assertEquals("0000", keys.key(3).toStringUtf8());
        assertEquals("3 sequential keys", keys.describe());
    }

    @Test
    void keySpaceIsCappedAtWhatTheKeySizeCanHold() {
        assertEquals(100, KeyPicker.capacity(2));
        assertEquals(Long.MAX_VALUE, KeyPicker.capacity(19));
        assertEquals(100, KeyPicker.sequential(2, 10_000).space());
        assertEquals("0099", KeyPicker.sequential(4, 10_000).key(99).toStringUtf8());
    }

    @Test
    void randomKeysStayInTheKeySpace() {
        KeyPicker keys = KeyPicker.random(8, 10);
        for (int i = 0; i < 1000; i++) {
            long index = keys.index(i);
            assertTrue(index >= 0 && index < 10, "index " + index);
        }
        assertEquals("1 key", KeyPicker.random(8, 1).describe());
        assertEquals(0, KeyPicker.random(8, 1).index(12345));
    }
}
